// The shadow instance as the engine sees it: a PGlite-shaped object (the API's
// "a PGlite instance the caller owns") that forwards everything, and, after the
// transaction in which the engine applied a file commits, awaits a hook of ours
// before handing control back. The engine applies each file in one transaction
// of its own and emits `file:start` inside it, so "the transaction that was open
// when file:start arrived" is that file's; the hook then runs between files,
// on the database exactly as the file left it. Nothing of the engine is changed.
// A no-transaction file emits `file:start` outside any transaction, and its
// tracking row commits in the next one: that transaction is the file's end.
import type { PGlite } from '@electric-sql/pglite';
import type { PlannedMigration } from '../../core/plan.js';
import type { RunEvent } from '../../run/events.js';

export interface HookedInstance {
  /** Pass as the engine's `database`. */
  client: object;
  /** Pass as (or call from) the engine's `onEvent`. */
  onEvent(event: RunEvent): void;
}

/** Wraps `db` so that `afterFile` runs right after each file the engine applies has committed. */
export function hookedInstance(db: PGlite, afterFile: (item: PlannedMigration) => Promise<void>): HookedInstance {
  let started: PlannedMigration | null = null;
  const client = {
    waitReady: db.waitReady,
    query: (...args: Parameters<PGlite['query']>) => db.query(...args),
    exec: (...args: Parameters<PGlite['exec']>) => db.exec(...args),
    // The adapter runs a file through these, to count the statements that completed.
    execProtocol: (...args: Parameters<PGlite['execProtocol']>) => db.execProtocol(...args),
    runExclusive: <R>(fn: () => Promise<R>) => db.runExclusive(fn),
    async transaction<T>(fn: Parameters<PGlite['transaction']>[0]): Promise<T> {
      // Started before this transaction: a no-transaction file, which this transaction records.
      const outside = started;
      started = null;
      let result: T;
      try {
        result = (await db.transaction(fn)) as T;
      } catch (error) {
        started = null; // the file failed and rolled back: nothing to follow up
        throw error;
      }
      const item = (started ?? outside) as PlannedMigration | null;
      started = null;
      if (item) await afterFile(item);
      return result;
    },
  };
  return {
    client,
    onEvent(event) {
      if (event.type === 'file:start') started = event.item;
      // A no-transaction file that failed has no recording transaction to follow up.
      if (event.type === 'file:error') started = null;
    },
  };
}
