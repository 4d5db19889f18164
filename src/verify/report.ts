// What db:verify prints: findings grouped by file, then a one-line summary; or one
// JSON document. The JSON keys `ok`, `findings` (rule, severity, file, line,
// column, message, fix) and `summary` (errors, warnings, files) are a documented
// format read by CI: never rename them.
import type { Finding, SuppressedFinding } from './types.js';
import type { PendingGroup } from './live.js';
import type { Directive } from './suppress.js';
import type { Style } from '../cli/reporters/style.js';
import { formatMs } from '../cli/reporters/style.js';

export interface DatabaseSummary {
  /** Where, password redacted. */
  database: string;
  /** Why the tracking tables could not be read, or null. */
  trackingProblem: string | null;
  pending: PendingGroup[];
}

export interface VerifyReport {
  /** No errors (and, under --strict, no warnings). */
  ok: boolean;
  findings: Finding[];
  summary: {
    errors: number;
    warnings: number;
    /** Files with at least one finding. */
    files: number;
  };
  /** Setups checked, e.g. `theme default (plugins ai, billing)`. */
  setups: string[];
  /** Distinct files checked. */
  checked: number;
  /** Live checks, or null with the reason they did not run. */
  database: DatabaseSummary | null;
  databaseSkipped: string | null;
  suppressed: SuppressedFinding[];
  unusedDirectives: Directive[];
  durationMs: number;
}

export function buildReport(args: Omit<VerifyReport, 'ok' | 'summary'>, strict: boolean): VerifyReport {
  const errors = args.findings.filter((f) => f.severity === 'error').length;
  const warnings = args.findings.filter((f) => f.severity === 'warning').length;
  const files = new Set(args.findings.map((f) => f.file)).size;
  return { ...args, ok: errors === 0 && !(strict && warnings > 0), summary: { errors, warnings, files } };
}

/** The `--json` document. Suppressed findings are listed only with --verbose. */
export function jsonReport(report: VerifyReport, verbose: boolean): string {
  const doc: Record<string, unknown> = {
    ok: report.ok,
    findings: report.findings.map(({ rule, severity, file, line, column, message, fix }) => ({ rule, severity, file, line, column, message, fix })),
    summary: report.summary,
    setups: report.setups,
    checked: report.checked,
    database: report.database,
  };
  if (verbose) {
    doc.suppressed = report.suppressed;
    doc.unusedDirectives = report.unusedDirectives.map(({ rule, reason, file, line, column }) => ({ rule, reason, file, line, column }));
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The human report, line by line. */
export function humanReport(report: VerifyReport, style: Style, verbose: boolean): string[] {
  const lines: string[] = [];
  lines.push(style.bold(`🔎 db:verify · ${report.setups.join(' · ')} · ${plural(report.checked, 'file')}`));

  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const place = (f: { line: number; column: number }) => (f.line > 0 ? `${f.line}:${f.column}` : '-');
  const width = Math.max(0, ...report.findings.map((f) => place(f).length));
  const ruleWidth = Math.max(0, ...report.findings.map((f) => f.rule.length));
  for (const [file, findings] of byFile) {
    lines.push('', style.bold(file));
    for (const f of findings) {
      const severity = f.severity === 'error' ? style.red('error  ') : style.yellow('warning');
      const lead = `  ${place(f).padEnd(width)}  `;
      lines.push(`${lead}${severity}  ${f.rule.padEnd(ruleWidth)}  ${f.message}`);
      const indent = ' '.repeat(lead.length + 7 + 2 + ruleWidth + 2);
      f.fix.split('\n').forEach((text, i) => lines.push(style.dim(`${indent}${i === 0 ? '→ ' : '  '}${text}`)));
    }
  }

  if (verbose && report.suppressed.length > 0) {
    lines.push('', style.bold(`Silenced on purpose (${report.suppressed.length}):`));
    for (const s of report.suppressed) lines.push(style.dim(`  ${s.file}:${place(s)}  ${s.rule}  ${s.message}`), `    reason: ${s.reason}`);
  }
  if (verbose && report.unusedDirectives.length > 0) {
    lines.push('', style.bold('Directives that silence nothing:'));
    for (const d of report.unusedDirectives) lines.push(`  ${d.file}:${d.line}:${d.column}  verify:ignore ${d.rule} (${d.reason})`);
  }

  lines.push('');
  if (report.database) {
    const db = report.database;
    const pendingCount = db.pending.reduce((n, g) => n + g.files.length, 0);
    lines.push(`🗄️  Database ${db.database}: ${pendingCount === 0 ? 'nothing pending' : `${plural(pendingCount, 'pending file')}`}${db.trackingProblem ? ` (tracking tables not readable: ${db.trackingProblem})` : ''}`);
    for (const g of db.pending) lines.push(`   ${g.source}: ${g.files.join(', ')}`);
  } else if (report.databaseSkipped) {
    lines.push(style.dim(`🗄️  Database not checked: ${report.databaseSkipped}`));
  }
  if (verbose) lines.push(style.dim(`⏱️  ${formatMs(report.durationMs)}`));
  const summary = `${plural(report.summary.errors, 'error')}, ${plural(report.summary.warnings, 'warning')} in ${plural(report.summary.files, 'file')}`;
  lines.push(report.ok ? style.green(`✅ ${summary}`) : style.red(`❌ ${summary}`));
  return lines;
}
