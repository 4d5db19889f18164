// `baseline [--up-to <file>]`: for a database built before this tool was used.
// Records every discovered migration (the active setup, in execution order) up to
// a given file, or all, as applied without running any, in one transaction under
// the migration lock, with a history entry each. Refuses, changing nothing, when
// any of those files already has a tracking row.
import type { ResolvedConfig } from '../api/config.js';
import type { MigrationFile, TrackedRow } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { fileKey, rowKey } from '../core/tracking.js';
import { discover } from '../discover/project.js';
import { recordAppliedSql } from '../tracking/store.js';
import { recordHistory } from '../tracking/history.js';
import { tokenChecksums } from '../sql/token-checksum.js';
import { openExisting, resolveMigration, underLock } from './common.js';

export interface BaselineOptions {
  /** The last file to record (a path from the project root, or a bare filename); default: every file. */
  upTo: string | null;
  /** Who asked, besides the database role, for the history. */
  actor: string | null;
  /** Asked with the files before anything is recorded; false changes nothing. */
  confirm(files: readonly MigrationFile[]): Promise<boolean>;
}

export interface BaselineOutcome {
  database: string;
  /** The files recorded (or, unconfirmed, that would have been), in execution order. */
  files: MigrationFile[];
  changed: boolean;
  reason: string | null;
}

/** Records the files as applied without running them. Throws MigrateError for refusals (nothing changed). */
export async function baseline(config: ResolvedConfig, options: BaselineOptions): Promise<BaselineOutcome> {
  const discovery = await discover(config.project);
  let files = discovery.files;
  if (options.upTo !== null) {
    const last = resolveMigration(discovery, options.upTo, false);
    files = files.slice(0, files.findIndex((f) => f === last.file) + 1);
  }
  const db = await openExisting(config, discovery);
  try {
    if (files.length === 0) return { database: db.display, files, changed: false, reason: 'the active setup has no migration: nothing to record' };
    const tokens = await tokenChecksums(files);
    const refuseRecorded = (rows: readonly TrackedRow[]) => {
      const recorded = new Set(rows.map(rowKey));
      const already = files.filter((f) => recorded.has(fileKey(f)));
      if (already.length > 0) {
        throw new MigrateError('VALIDATION', `baseline refused: ${already.length} of these files already have tracking rows: ${already.map((f) => f.path).join(', ')}`, {
          file: already[0]!.path,
          hint: 'baseline is for a database that has never been migrated by this tool. Use --up-to <file> to stop before them, or db:status to see what is applied.',
        });
      }
    };
    await underLock(db, discovery, false, async (_tx, _schema, rows) => refuseRecorded(rows));
    if (!(await options.confirm(files))) return { database: db.display, files, changed: false, reason: 'not confirmed' };
    await underLock(db, discovery, true, async (tx, schema, rows) => {
      refuseRecorded(rows);
      await tx.exec(files.map((f) => `${recordAppliedSql(schema, f, tokens.get(fileKey(f)) ?? null, 'none')};`).join('\n'));
      for (const f of files) {
        await recordHistory(tx, schema, {
          action: 'baseline',
          table: f.source.table,
          sourceType: f.source.sourceType,
          sourceName: f.source.sourceName,
          entity: f.source.entity,
          filename: f.filename,
          oldChecksum: null,
          newChecksum: f.checksum,
          rowExecutedAt: null,
          actor: options.actor,
          note: 'recorded as applied without running it',
        });
      }
    });
    return { database: db.display, files, changed: true, reason: null };
  } finally {
    await db.close();
  }
}
