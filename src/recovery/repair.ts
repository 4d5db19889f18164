// `repair --forget <file>` and `repair --accept <file>`: the documented "remove the
// migration record" step, and the way to record a deliberate edit of an applied
// file, without hand-written SQL. Each changes one tracking row, under the
// migration lock, with an entry in the history; nothing else.
import type { ResolvedConfig } from '../api/config.js';
import type { TrackedRow } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { CHECKSUM_ALGORITHM, TOKEN_CHECKSUM_ALGORITHM } from '../core/checksum.js';
import { fileKey, rowKey } from '../core/tracking.js';
import { discover } from '../discover/project.js';
import { keyCondition, tableRef } from '../tracking/store.js';
import { recordHistory } from '../tracking/history.js';
import { openExisting, resolveMigration, underLock, type NamedMigration } from './common.js';

export type RepairAction = 'forget' | 'accept';

/** The one change a repair makes, as shown before it is made and reported after. */
export interface RepairChange {
  action: RepairAction;
  path: string;
  tier: string;
  table: TrackedRow['table'];
  sourceType: string | null;
  sourceName: string | null;
  entity: string | null;
  filename: string;
  /** The row as it was. */
  executedAt: string | null;
  oldChecksum: string | null;
  /** forget: null (the row is removed); accept: the file's checksum now. */
  newChecksum: string | null;
  newTokenChecksum: string | null;
}

export interface RepairOptions {
  action: RepairAction;
  /** The migration: a path from the project root (or absolute), or a bare filename. */
  file: string;
  /** Who asked, besides the database role (e.g. `alice@laptop`), for the history. */
  actor: string | null;
  /** Asked with the change before it is made; false changes nothing. */
  confirm(change: RepairChange): Promise<boolean>;
}

export interface RepairOutcome {
  /** Where, password redacted. */
  database: string;
  /** What was (or, unconfirmed, would have been) changed; null when nothing needed changing. */
  change: RepairChange | null;
  /** Whether the change was made. */
  changed: boolean;
  /** Why nothing was changed, when nothing was. */
  reason: string | null;
}

/** Forgets or accepts one migration's tracking row. Throws MigrateError for refusals (nothing changed). */
export async function repair(config: ResolvedConfig, options: RepairOptions): Promise<RepairOutcome> {
  const discovery = await discover(config.project);
  const target = resolveMigration(discovery, options.file, options.action === 'forget');
  if (options.action === 'accept' && !target.file) throw new MigrateError('USAGE', `${target.path} does not exist: there is nothing to accept`);
  let newTokenChecksum: string | null = null;
  if (options.action === 'accept' && target.file) {
    const { tokenChecksumOf } = await import('../sql/token-checksum.js');
    const { loadParser } = await import('../sql/statements.js');
    newTokenChecksum = tokenChecksumOf(await loadParser(), target.file.content);
  }
  const db = await openExisting(config, discovery);
  try {
    const changeOf = (rows: readonly TrackedRow[]): RepairChange => describeChange(options.action, target, rows, newTokenChecksum);
    // A look under the lock (tables prepared, then rolled back), the question, then the change.
    const planned = await underLock(db, discovery, false, async (_tx, _schema, rows) => changeOf(rows));
    if (options.action === 'accept' && planned.oldChecksum === planned.newChecksum) {
      return { database: db.display, change: null, changed: false, reason: `${target.path}: its tracking row already has the file's checksum; nothing to accept` };
    }
    if (!(await options.confirm(planned))) return { database: db.display, change: planned, changed: false, reason: 'not confirmed' };
    const made = await underLock(db, discovery, true, async (tx, schema, rows) => {
      const change = changeOf(rows);
      // Another process changed the row while we asked: what was confirmed is not what would happen.
      if (change.oldChecksum !== planned.oldChecksum || change.executedAt !== planned.executedAt) {
        throw new MigrateError('VALIDATION', `${target.path}: its tracking row changed while waiting for confirmation; nothing was changed`, { hint: 'Run the command again.' });
      }
      const table = tableRef(schema, target.source.table);
      if (options.action === 'forget') {
        await tx.query(`DELETE FROM ${table} WHERE ${keyCondition(target)}`);
      } else {
        await tx.query(
          `UPDATE ${table} SET checksum = $1, checksum_algorithm = $2, token_checksum = $3, token_checksum_algorithm = $4 WHERE ${keyCondition(target)}`,
          [change.newChecksum, CHECKSUM_ALGORITHM, newTokenChecksum, newTokenChecksum === null ? null : TOKEN_CHECKSUM_ALGORITHM],
        );
      }
      await recordHistory(tx, schema, {
        action: options.action,
        table: change.table,
        sourceType: change.sourceType,
        sourceName: change.sourceName,
        entity: change.entity,
        filename: change.filename,
        oldChecksum: change.oldChecksum,
        newChecksum: change.newChecksum,
        rowExecutedAt: change.executedAt,
        actor: options.actor,
      });
      return change;
    });
    return { database: db.display, change: made, changed: true, reason: null };
  } finally {
    await db.close();
  }
}

/** The change `action` makes to the target's row; refuses when it has none. */
function describeChange(action: RepairAction, target: NamedMigration, rows: readonly TrackedRow[], newTokenChecksum: string | null): RepairChange {
  const key = fileKey(target);
  const row = rows.find((r) => rowKey(r) === key);
  if (!row) {
    throw new MigrateError('VALIDATION', `${target.path} has no tracking row: it was never applied here, so there is nothing to ${action}`, {
      file: target.path,
      hint: action === 'forget' ? 'db:status lists what is applied.' : 'A file that was never applied runs with the next db:migrate.',
    });
  }
  return {
    action,
    path: target.path,
    tier: target.source.tier,
    table: row.table,
    sourceType: row.sourceType,
    sourceName: row.sourceName,
    entity: row.entity,
    filename: row.filename,
    executedAt: row.executedAt ?? null,
    oldChecksum: row.checksum,
    newChecksum: action === 'forget' ? null : target.file!.checksum,
    newTokenChecksum: action === 'forget' ? null : newTokenChecksum,
  };
}
