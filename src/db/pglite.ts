// PGlite adapter: the embedded database, in-process. One process at a time may
// open a PGlite folder, so a lock file serialises runners instead of the
// advisory lock (which would be a no-op inside a single-connection database).
import { mkdirSync } from 'node:fs';
import type { PGlite as PGliteInstance } from '@electric-sql/pglite';
import type { Database, Queryable, Row, TransactionBody, TransactionOptions } from './driver.js';
import { isServerError, toDatabaseError } from './postgres-error.js';
import { MigrateError } from '../core/errors.js';
import { acquireFolderLock } from './folder-lock.js';

/** The user PGlite connects as (we never pass `username`). */
const PGLITE_USER = 'postgres';

/**
 * Starts a PGlite instance on `dir` (null: in memory) with the extensions migrations
 * commonly CREATE (PGlite only installs them on CREATE EXTENSION). The caller holds
 * the folder lock and closes the instance; `dev` and `reset` use the instance itself.
 */
export async function startPglite(dir: string | null): Promise<PGliteInstance> {
  const [{ PGlite }, { pgcrypto }, { uuid_ossp }, { citext }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pgcrypto'),
    import('@electric-sql/pglite/contrib/uuid_ossp'),
    import('@electric-sql/pglite/contrib/citext'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  try {
    const db = new PGlite(dir ?? undefined, { extensions: { pgcrypto, uuid_ossp, citext, pg_trgm } });
    await db.waitReady;
    return db;
  } catch (error) {
    throw new MigrateError('CONNECTION', `cannot open the embedded database${dir ? ` at ${dir}` : ''}: ${(error as Error).message}`, { cause: error });
  }
}

/** Opens (creating when needed) the PGlite database in `dir`, or in memory when `dir` is null. */
export async function openPglite(dir: string | null): Promise<Database> {
  let release: (() => void) | null = null;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = await acquireFolderLock(dir);
  }
  let db: PGliteInstance;
  try {
    db = await startPglite(dir);
  } catch (error) {
    release?.();
    throw error;
  }
  return wrapPglite(db, {
    display: dir ? `pglite:${dir}` : 'pglite:memory',
    close: async () => {
      try {
        await db.close();
      } finally {
        release?.();
      }
    },
  });
}

/** The PGlite instance shape we use (a caller's own instance, for the API's `database` option). */
export type PgliteLike = Pick<PGliteInstance, 'query' | 'exec' | 'transaction'>;

/**
 * Our Database over an open PGlite instance. `close` ends it (our own instance);
 * a caller's instance is passed with a no-op close, and no folder lock: the caller
 * owns the instance, and one instance is one process's.
 */
export function wrapPglite(db: PgliteLike, options: { display: string; close: () => Promise<void> }): Database {
  const wrap = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      // The embedded database has no password to scrub.
      if (isServerError(error)) throw toDatabaseError(error, (s) => s);
      throw error;
    }
  };
  const over = (target: Pick<PgliteLike, 'query' | 'exec'>): Queryable => ({
    query: <R>(sql: string, params?: readonly unknown[]) => wrap(async () => (await target.query<R>(sql, params as unknown[] | undefined)).rows),
    exec: (script: string) => wrap(async () => void (await target.exec(script))),
  });
  // PGlite runs PostgreSQL in single-user mode, where RESET SESSION AUTHORIZATION
  // does nothing and a rolled-back SET SESSION AUTHORIZATION stays: name the user.
  const restoreUser = `SET SESSION AUTHORIZATION ${PGLITE_USER}`;
  return {
    display: options.display,
    sessionDefaultsSql: `${restoreUser};\nRESET ROLE;\nRESET ALL`,
    ...over(db),
    // `lock` needs nothing here: the folder lock already makes this process the only
    // runner, so the migration lock is always free (`locked` is always true).
    transaction<T>(fn: TransactionBody<T>, transactionOptions: TransactionOptions = {}): Promise<T> {
      return db
        .transaction(async (tx) => {
          // PGlite sends a plain BEGIN; the level is set before any other statement, as on
          // the server (one connection cannot race itself, but the contract is the same).
          const script = ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', transactionOptions.prelude ?? null].filter((s): s is string => s !== null).join(';\n');
          const results = await wrap(() => tx.exec(script));
          const rows = transactionOptions.prelude ? (results.at(-1)?.rows ?? []) : [];
          // In-process: no round trip to save; PGlite's transaction() commits after the body.
          // Deferred constraints are checked here, as the server's COMMIT would: their
          // error is then the script's (the one commit-time error a lone connection can meet).
          const on = over(tx);
          const execAndCommit = (script: string) => on.exec(`${script};\nSET CONSTRAINTS ALL IMMEDIATE`);
          return fn({ ...on, execAndCommit }, rows as Row[], true);
        })
        .catch(async (error: unknown) => {
          await db.exec(restoreUser).catch(() => undefined);
          throw error;
        });
    },
    // In-process and single-threaded: a statement cannot be interrupted from outside.
    // The run stops before its next file instead.
    async cancel() {},
    close: options.close,
  };
}
