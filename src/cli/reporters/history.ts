// The history section of `status --history`: one line per repair, baseline or rollback.
import type { HistoryRecord } from '../../tracking/history.js';
import { describeRow } from '../../core/tracking.js';
import { shortChecksum } from '../../recovery/common.js';

export function historyLines(history: readonly HistoryRecord[]): string[] {
  const lines = ['', '📜 History of repairs and baselines'];
  if (history.length === 0) return [...lines, '   (none)'];
  for (const h of history) {
    const row = describeRow({ ...h, checksum: null, checksumAlgorithm: null });
    const applied = h.rowExecutedAt ? `, row applied ${h.rowExecutedAt}` : '';
    const sums = h.action === 'forget' ? `row removed (checksum ${shortChecksum(h.oldChecksum)})` : `checksum ${shortChecksum(h.oldChecksum)} → ${shortChecksum(h.newChecksum)}`;
    lines.push(`   ${h.at}  ${h.action.padEnd(8)} ${row}  by ${h.by}${applied}; ${sums}${h.note ? ` (${h.note})` : ''}`);
  }
  return lines;
}
