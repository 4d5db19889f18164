// PGlite adapter: the embedded database, in-process. One process at a time may
// open a PGlite folder, so a lock file serialises runners instead of the
// advisory lock (which would be a no-op inside a single-connection database).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Extensions, PGlite as PGliteInstance } from '@electric-sql/pglite';
import type { Database, Queryable, Row, TransactionBody, TransactionOptions } from './driver.js';
import { isServerError, toDatabaseError } from './postgres-error.js';
import { MigrateError } from '../core/errors.js';
import { acquireFolderLock } from './folder-lock.js';
import { createdExtensions } from '../sql/statement-starts.js';
import { queryMessage } from '../dev/wire.js';

/** The user PGlite connects as (we never pass `username`). */
const PGLITE_USER = 'postgres';

/** True when `dir` holds a PGlite (PostgreSQL) data folder: PG_VERSION is written by initdb. */
export function embeddedExists(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'));
}

/**
 * The extensions the embedded database offers, by the name `CREATE EXTENSION`
 * uses. PGlite installs one only on CREATE EXTENSION, but unpacks the files of
 * every one registered on each open (pgcrypto alone is a 1 MB bundle): a fifth of
 * an open's CPU for the four, so only those the scripts create are registered.
 */
const EXTENSIONS = {
  pgcrypto: async () => ({ pgcrypto: (await import('@electric-sql/pglite/contrib/pgcrypto')).pgcrypto }),
  'uuid-ossp': async () => ({ uuid_ossp: (await import('@electric-sql/pglite/contrib/uuid_ossp')).uuid_ossp }),
  citext: async () => ({ citext: (await import('@electric-sql/pglite/contrib/citext')).citext }),
  pg_trgm: async () => ({ pg_trgm: (await import('@electric-sql/pglite/contrib/pg_trgm')).pg_trgm }),
} as const;

type ExtensionName = keyof typeof EXTENSIONS;
const EXTENSION_NAMES = Object.keys(EXTENSIONS) as ExtensionName[];

/**
 * The offered extensions that `scripts` create (every one when a script may create
 * one in a way the lexer cannot follow, or when there are no scripts to look at).
 * The scripts are every migration file of the project, applied ones included: an
 * extension they created earlier is in the database, and later files may use it.
 */
export function extensionsToRegister(scripts: Iterable<string> | undefined): ExtensionName[] {
  if (scripts === undefined) return EXTENSION_NAMES;
  const wanted = new Set<string>();
  for (const sql of scripts) {
    const found = createdExtensions(sql);
    if (found.unsure) return EXTENSION_NAMES;
    for (const name of found.names) wanted.add(name);
  }
  return EXTENSION_NAMES.filter((name) => wanted.has(name));
}

/**
 * Starts a PGlite instance on `dir` (null: in memory) with the extensions `scripts`
 * create (see extensionsToRegister; without scripts, all four). The caller holds
 * the folder lock and closes the instance; `dev` and `reset` use the instance itself.
 */
export async function startPglite(dir: string | null, scripts?: Iterable<string>): Promise<PGliteInstance> {
  const [{ PGlite }, ...registered] = await Promise.all([
    import('@electric-sql/pglite'),
    ...extensionsToRegister(scripts).map((name) => EXTENSIONS[name]()),
  ]);
  try {
    const db = new PGlite(dir ?? undefined, { extensions: Object.assign({}, ...registered) as Extensions });
    await db.waitReady;
    return db;
  } catch (error) {
    throw new MigrateError('CONNECTION', `cannot open the embedded database${dir ? ` at ${dir}` : ''}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Opens (creating when needed) the PGlite database in `dir`, or in memory when
 * `dir` is null, with the extensions `scripts` create (see startPglite).
 */
export async function openPglite(dir: string | null, scripts?: Iterable<string>): Promise<Database> {
  let release: (() => void) | null = null;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = await acquireFolderLock(dir);
  }
  let db: PGliteInstance;
  try {
    db = await startPglite(dir, scripts);
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
export type PgliteLike = Pick<PGliteInstance, 'query' | 'exec' | 'transaction'> & Partial<Pick<PGliteInstance, 'execProtocol' | 'runExclusive'>>;

/**
 * Runs `script` (simple protocol) inside the instance's open transaction, counting the
 * CommandComplete messages, one per statement that finished: a failed script says
 * which statement failed (DatabaseError.completedStatements) without being run
 * again. PGlite's own `exec` drops the messages that came before an error. Taken
 * under the instance's query lock, as its own statements are (the dev server's
 * clients share the instance); no sync to disk inside a transaction, as PGlite does.
 */
async function execCounting(db: Required<PgliteLike>, script: string): Promise<void> {
  const { messages } = await db.runExclusive(() => db.execProtocol(queryMessage(script), { syncToFs: false, throwOnError: false }));
  let completed = 0;
  for (const message of messages) {
    if (message.name === 'commandComplete') completed++;
    else if (message.name === 'error' && isServerError(message)) throw toDatabaseError(message, (s) => s, completed);
  }
}

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
          // An instance-like object without the protocol methods runs scripts through PGlite's
          // exec: a failure is then located only when the server gives a position.
          const counting = db.execProtocol && db.runExclusive ? (db as Required<PgliteLike>) : null;
          const on: Queryable = counting ? { ...over(tx), exec: (script: string) => execCounting(counting, script) } : over(tx);
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
    // A caller's instance of the PgliteLike shape may lack it; then --backup says so.
    ...('dumpDataDir' in db && typeof db.dumpDataDir === 'function' ? { dumpDataDir: () => (db as PGliteInstance).dumpDataDir('gzip') } : {}),
    // One process holds the folder (or the in-memory instance): no other runner exists.
    soleRunner: true,
  };
}
