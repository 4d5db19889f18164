// sequence: "never skip sequence numbers". Core, theme and plugin folders count
// from 001 on their own; entity files are numbered across every entity of the
// setup (the engine runs every 001_ before any 002_), so their gaps are global.
import type { MigrationFile } from '../../core/types.js';
import { formatNumber } from '../../core/naming.js';
import { filesByFolder, numberedAcrossTier, numberGaps } from '../../core/numbering.js';
import { atFile, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';

function gaps(files: readonly MigrationFile[], scope: string): RawFinding[] {
  return numberGaps(files).map(({ from, to, above, file }) => {
    const missing = from === to ? formatNumber(from) : `${formatNumber(from)}–${formatNumber(to)}`;
    const where = from === 1n ? `start at ${formatNumber(above)}` : `jump from ${formatNumber(from - 1n)} to ${formatNumber(above)}`;
    return atFile(
      'sequence',
      file.path,
      `${scope} ${where}: ${missing} missing`,
      `If a file numbered ${missing} was deleted, restore it (applied migrations are never deleted); if ${file.filename} has not run anywhere yet, renumber it ${formatNumber(from)}.`,
    );
  });
}

export const sequenceRule: SetupRule = (setup) => {
  const files = setup.files.map((f) => f.file);
  const findings: RawFinding[] = [];
  for (const [dir, list] of filesByFolder(files.filter((f) => !numberedAcrossTier(f.source)))) findings.push(...gaps(list, `numbers in ${dir}`));
  findings.push(...gaps(files.filter((f) => numberedAcrossTier(f.source)), 'entity migration numbers (shared by all entities of the setup)'));
  return findings;
};
