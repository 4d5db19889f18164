// Down files: `NNN_name.down.sql` beside `NNN_name.sql` undoes it (db:rollback).
// They are never migrations: discovery attaches each one to its migration and
// leaves it out of the run, the numbering and the naming checks. The suffix is a
// persisted convention authors write: never change. Pure.
import type { MigrationFile } from './types.js';
import type { Problem } from './plan.js';

/** What ends a down file's name. */
export const DOWN_SUFFIX = '.down.sql';

/** Whether a `.sql` file name is a down file's. */
export function isDownFilename(filename: string): boolean {
  return filename.endsWith(DOWN_SUFFIX) && filename.length > DOWN_SUFFIX.length;
}

/** `001_x.down.sql` → `001_x.sql`: the migration a down file undoes. */
export function upFilenameOf(downFilename: string): string {
  return `${downFilename.slice(0, -DOWN_SUFFIX.length)}.sql`;
}

/** `001_x.sql` → `001_x.down.sql`: where a migration's down file is. */
export function downFilenameOf(filename: string): string {
  return `${filename.replace(/\.sql$/, '')}${DOWN_SUFFIX}`;
}

/** What is said about a down file with no migration beside it (migrate, status and verify alike). */
export function describeOrphanDownFile(down: Pick<MigrationFile, 'path' | 'filename'>): { message: string; hint: string } {
  return {
    message: `${down.path} is a down file with no migration ${upFilenameOf(down.filename)} beside it: it undoes nothing, and nothing runs it`,
    hint: 'Name it after the migration it undoes (NNN_name.down.sql beside NNN_name.sql), or delete it.',
  };
}

/** A warning per down file with no migration beside it (renamed or deleted migration, typo). */
export function orphanDownFileProblems(orphans: readonly MigrationFile[]): Problem[] {
  return orphans.map((down) => ({ severity: 'warning', code: 'orphan-down-file', file: down.path, ...describeOrphanDownFile(down) }));
}
