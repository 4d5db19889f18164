// The human output of a fleet run: one line per finished target, a progress line
// on a terminal, and the summary table at the end.
import type { FleetProgress, FleetResult, TargetSummary } from '../../fleet/run.js';
import { renderTable } from './table.js';

/** One line for a finished target. */
export function targetLine(s: TargetSummary, command: 'migrate' | 'status'): string {
  if (s.status === 'failed') return `❌ ${s.label}: ${errorText(s)}`;
  if (command === 'status') return `📊 ${s.label}: ${s.pending} pending, ${s.modified} modified, ${s.missing} missing`;
  return `✅ ${s.label}: ${s.applied} applied, ${s.skipped} already applied`;
}

export function progressLine(p: FleetProgress): string {
  return `🚀 targets: ${p.done}/${p.total} done · ${p.failed} failed · ${p.running} running · ${p.applied} file(s) applied`;
}

/** The summary table: migrate in listed order; status as given (behind-most first). */
export function summaryLines(result: FleetResult, targets: readonly TargetSummary[]): string[] {
  const lines =
    result.command === 'status'
      ? renderTable(
          ['target', 'applied', 'pending', 'modified', 'missing', 'latest applied', 'status'],
          targets.map((s) => [s.label, s.applied, s.pending, s.modified, s.missing, s.latest ?? '', s.status === 'failed' ? `failed: ${errorText(s)}` : s.status]),
        )
      : renderTable(
          ['target', 'applied', 'skipped', 'status', 'first error'],
          targets.map((s) => [s.label, s.applied, s.skipped, s.status, s.error ? errorText(s) : '']),
        );
  const failed = targets.filter((s) => s.status === 'failed').length;
  const notStarted = targets.filter((s) => s.status === 'not-started').length;
  const total = `${targets.length} target(s): ${targets.length - failed - notStarted} ok, ${failed} failed${notStarted > 0 ? `, ${notStarted} not started` : ''}`;
  return ['', ...lines, '', `${failed > 0 || notStarted > 0 ? '❌' : '🎉'} ${total}`, ...(result.stopped ? [`⚠️ ${result.stopped}; run the same command again to resume.`] : [])];
}

function errorText(s: TargetSummary): string {
  const e = s.error;
  if (!e) return '';
  const where = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : '';
  return `${where}${e.message.split('\n')[0]}`;
}
