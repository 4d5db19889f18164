// The human report of verify: findings grouped by file, then a one-line summary.
import type { Finding } from '../../verify/types.js';
import type { VerifyReport } from '../../verify/report.js';
import { formatMs, type Style } from './style.js';
import { isolationLines, widenedLines } from './isolation.js';

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
  for (const setup of report.shadow?.setups ?? []) {
    if (setup.skipped) {
      lines.push(style.dim(`🧪 Shadow ${setup.label}: not run (${setup.skipped})`));
      continue;
    }
    lines.push(`🧪 Shadow ${setup.label}: ${plural(setup.applied, 'file')} applied on a new in-memory PGlite`);
    if (setup.isolation) lines.push(...isolationLines(setup.isolation, style));
    if (verbose) {
      const t = setup.timings;
      const parts = [`database ${formatMs(t.database)}`, `fresh ${formatMs(t.fresh)}`];
      if (t.idempotency !== null) parts.push(`idempotency ${formatMs(t.idempotency)}`);
      if (t.isolation !== null) parts.push(`isolation ${formatMs(t.isolation)}`);
      lines.push(style.dim(`   ⏱️  ${parts.join(' · ')}`));
    }
  }
  if (report.isolation) lines.push(...widenedLines(report.isolation, style));
  if (report.rehearsal) {
    const r = report.rehearsal;
    lines.push(`🎭 Rehearsal: ${plural(r.replayed, 'applied file')} replayed, ${r.applied} of ${plural(r.pending.length, 'pending file')} applied on a shadow`);
    if (verbose) lines.push(style.dim(`   ⏱️  ${formatMs(r.durationMs)}`));
  }
  if (report.drift) {
    const n = report.drift.differences.length;
    lines.push(n === 0 ? `🔀 Drift: none, ${report.drift.database} matches the files` : style.red(`🔀 Drift: ${plural(n, 'difference')} between ${report.drift.database} and the files`));
  }
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
