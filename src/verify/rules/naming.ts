// naming: every file is `NNN_snake_case.sql`, and no two files of one folder share
// a number (the engine would run them in name order, which nobody chose).
import type { MigrationFile } from '../../core/types.js';
import { formatNumber, toSnake } from '../../core/naming.js';
import { filesByFolder, nameFault, sharedNumbers } from '../../core/numbering.js';
import { atFile, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';

const RENAME_RISK = 'If it has already run anywhere, renaming makes it run again there: rename only files that never ran.';

export const namingRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  const numbered: MigrationFile[] = [];
  for (const { file } of setup.files) {
    const fault = nameFault(file);
    if (fault === 'unnumbered') {
      findings.push(atFile('naming', file.path, `${file.filename} has no leading number, so its place in the order is unknown`, `Rename it NNN_snake_case.sql with the next number of its folder. ${RENAME_RISK}`));
      continue;
    }
    if (fault === 'unconventional') {
      findings.push(
        atFile('naming', file.path, `${file.filename} does not follow NNN_snake_case.sql (three-digit number, lower-case words joined by _)`, `Rename it, e.g. ${suggestName(file)}. ${RENAME_RISK}`),
      );
    }
    numbered.push(file);
  }
  for (const files of filesByFolder(numbered).values()) {
    for (const { files: same } of sharedNumbers(files)) {
      const sorted = [...same].sort((a, b) => (a.filename < b.filename ? -1 : 1));
      for (const later of sorted.slice(1)) {
        findings.push(
          atFile('naming', later.path, `${later.filename} shares its number with ${sorted[0]!.filename} in ${later.source.dir}`, `Give the file that has not run anywhere yet the next free number of the folder. ${RENAME_RISK}`),
        );
      }
    }
  }
  return findings;
};

function suggestName(file: MigrationFile): string {
  const digits = formatNumber(file.number ?? 1n);
  const rest = toSnake(file.filename.replace(/^\d+/, '').replace(/\.sql$/i, ''));
  return `${digits}_${rest || 'description'}.sql`;
}
