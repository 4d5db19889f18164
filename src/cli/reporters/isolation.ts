// The isolation matrix of verify --isolation: table × role × command, and the
// owned tables the probe could not fill (never passed silently).
import type { IsolationReport } from '../../verify/shadow/isolation-report.js';
import type { Style } from './style.js';
import type { IsolationDiffSummary } from '../../verify/shadow/isolation-report.js';

/** The matrix as aligned text lines. */
export function isolationLines(report: Pick<IsolationReport, 'matrix' | 'notProbed'>, style: Style): string[] {
  const header = ['table', 'role', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
  const rows = report.matrix.map((r) => [r.table, r.role, r.select, r.insert, r.update, r.delete]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `   ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const lines = [style.bold(line(header))];
  for (const r of rows) lines.push(line(r));
  for (const n of report.notProbed) lines.push(style.yellow(`   ⚠️  ${n.table}: not probed (${n.reason})`));
  return lines;
}

/** The accesses the pending files widen, one line each (those silenced are listed with --verbose). */
export function widenedLines(diff: IsolationDiffSummary, style: Style): string[] {
  const n = diff.widened.length;
  const head = `🔓 Isolation of ${diff.database} before and after its ${diff.pending.length} pending file${diff.pending.length === 1 ? '' : 's'}: `;
  if (n === 0) return [`${head}no access widened`];
  const lines = [style.red(`${head}${n} access${n === 1 ? '' : 'es'} widened`)];
  for (const w of diff.widened) lines.push(`   ${w.file}: ${w.message} (${w.before} → ${w.after})`);
  return lines;
}
