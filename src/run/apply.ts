// Applying one migration file: the file and its tracking row in one transaction,
// under the migration lock, starting from the session's defaults and leaving none
// of its settings behind.
import type { Database } from '../db/driver.js';
import type { PlannedMigration } from '../core/plan.js';
import { DatabaseError, MigrationFailedError } from '../core/errors.js';
import { recordAppliedSql, recordedCheckSql } from '../tracking/store.js';
import { locateFailure } from './locate-failure.js';
import type { EventSink } from './events.js';

export type Outcomes = Map<PlannedMigration, { status: 'applied' | 'failed' | 'skipped'; durationMs: number | null }>;

/** Applies one file and its tracking row in one transaction. Returns the failure, if any. */
export async function applyOne(db: Database, schema: string, item: PlannedMigration, emit: EventSink, outcomes: Outcomes): Promise<MigrationFailedError | null> {
  const file = item.file;
  // What the server receives: the file without a BOM (PostgreSQL rejects one); line endings kept.
  const text = file.content.charCodeAt(0) === 0xfeff ? file.content.slice(1) : file.content;
  // The session's defaults, restored inside the file's transaction before the file and
  // after it: a file neither sees what an earlier one SET nor leaves anything for the
  // next file or, through a transaction pooler, the next client. A file rolled back
  // changes nothing, its SETs and these resets alike.
  const defaults = db.sessionDefaultsSql;
  const started = performance.now();
  let sqlError: DatabaseError | null = null;
  let ranHere = false;
  try {
    await db.transaction(
      async (tx, recorded) => {
        // Read under the lock (the prelude): another runner may have applied it while we waited.
        if (recorded.length > 0) return;
        emit({ type: 'file:start', item });
        try {
          // The tracking row travels in the same script: one round trip, one transaction.
          // The newline and semicolon close a last statement or line comment left open.
          // The file comes first, so the server's error positions are positions in it.
          await tx.exec(`${text}\n;\n${defaults};\n${recordAppliedSql(schema, file)}`);
        } catch (error) {
          if (error instanceof DatabaseError) sqlError = error;
          throw error;
        }
        ranHere = true;
      },
      { exclusive: true, prelude: `${defaults};\n${recordedCheckSql(schema, file)}` },
    );
  } catch (error) {
    const durationMs = performance.now() - started;
    if (!sqlError) throw error;
    const failed: DatabaseError = sqlError;
    const location = await locateFailure(db, text, failed).catch(() => null);
    // Said only when true: a writer that does not take the lock may have recorded it meanwhile.
    const recorded = await db.query(recordedCheckSql(schema, file)).then(
      (rows) => rows.length > 0,
      () => null,
    );
    const failure = new MigrationFailedError({
      file: file.path,
      line: location?.line ?? null,
      column: location?.column ?? null,
      sourceLine: location?.text ?? null,
      pg: failed.pg,
      recorded,
      cause: failed,
    });
    outcomes.set(item, { status: 'failed', durationMs });
    emit({ type: 'file:error', item, error: failure, durationMs });
    return failure;
  }
  const durationMs = performance.now() - started;
  if (ranHere) {
    outcomes.set(item, { status: 'applied', durationMs });
    emit({ type: 'file:done', item, durationMs });
  } else {
    outcomes.set(item, { status: 'skipped', durationMs: null });
    emit({ type: 'file:skip', item, byOtherRunner: true });
  }
  return null;
}
