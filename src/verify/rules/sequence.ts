// sequence: "never skip sequence numbers". Core, theme and plugin folders count
// from 001 on their own; entity files are numbered across every entity of the
// setup (the engine runs every 001_ before any 002_), so their gaps are global.
import type { MigrationFile } from '../../core/types.js';
import { atFile, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';

const pad = (n: bigint) => String(n).padStart(3, '0');

function gaps(files: readonly MigrationFile[], scope: string): RawFinding[] {
  const first = new Map<bigint, MigrationFile>();
  for (const f of files) if (f.number !== null && !first.has(f.number)) first.set(f.number, f);
  const numbers = [...first.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const findings: RawFinding[] = [];
  let expected = 1n;
  for (const n of numbers) {
    if (n > expected) {
      const missing = n - expected === 1n ? pad(expected) : `${pad(expected)}–${pad(n - 1n)}`;
      const file = first.get(n)!;
      const where = expected === 1n ? `start at ${pad(n)}` : `jump from ${pad(expected - 1n)} to ${pad(n)}`;
      findings.push(
        atFile(
          'sequence',
          file.path,
          `${scope} ${where}: ${missing} missing`,
          `If a file numbered ${missing} was deleted, restore it (applied migrations are never deleted); if ${file.filename} has not run anywhere yet, renumber it ${pad(expected)}.`,
        ),
      );
    }
    if (n >= expected) expected = n + 1n;
  }
  return findings;
}

export const sequenceRule: SetupRule = (setup) => {
  const byFolder = new Map<string, MigrationFile[]>();
  const entityFiles: MigrationFile[] = [];
  for (const { file } of setup.files) {
    if (file.source.tier === 'entity') {
      entityFiles.push(file);
      continue;
    }
    byFolder.set(file.source.dir, [...(byFolder.get(file.source.dir) ?? []), file]);
  }
  const findings: RawFinding[] = [];
  for (const [dir, files] of byFolder) findings.push(...gaps(files, `numbers in ${dir}`));
  findings.push(...gaps(entityFiles, 'entity migration numbers (shared by all entities of the setup)'));
  return findings;
};
