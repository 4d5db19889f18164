// node-postgres adapter: one connection, no pool. Works through PgBouncer in
// transaction mode: no session state is relied on, only unnamed statements are
// used, and the migration lock is transaction-scoped.
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Database, LockMode, Queryable, Row, TransactionBody, TransactionOptions, TransactionQueryable } from './driver.js';
import { MIGRATION_LOCK_KEY } from './driver.js';
import { MigrateError } from '../core/errors.js';
import { redactUrl, scrub, secretsOf } from '../core/redact.js';
import { isServerError, toDatabaseError } from './postgres-error.js';
import { connectFailure } from './connect-failure.js';

/**
 * Connection strings to try, in order. `sslmode` keeps its libpq meaning (node-postgres
 * alone treats `require` as `verify-full`, which breaks managed providers' URLs), and
 * `prefer`/`allow` fall back as libpq does. Without `sslmode`, no SSL is forced.
 */
export function connectionAttempts(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const mode = parsed.searchParams.get('sslmode');
  if (!mode || parsed.searchParams.has('uselibpqcompat')) return [url];
  parsed.searchParams.set('uselibpqcompat', 'true');
  const withMode = (m: string) => {
    const u = new URL(parsed.toString());
    u.searchParams.set('sslmode', m);
    return u.toString();
  };
  if (mode === 'prefer') return [withMode('prefer'), withMode('disable')];
  if (mode === 'allow') return [withMode('disable'), withMode('prefer')];
  return [parsed.toString()];
}

const LOCK_FUNCTIONS: Record<LockMode, string> = {
  exclusive: 'pg_advisory_xact_lock',
  try: 'pg_try_advisory_xact_lock',
  shared: 'pg_advisory_xact_lock_shared',
};

/** A simple-protocol query's results: one per statement (node-postgres returns a lone one bare). */
function asList(results: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] {
  return Array.isArray(results) ? results : [results];
}

/** How long a connection attempt may take before it is given up (`--connect-timeout`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  applicationName?: string;
  /** Give up an attempt after this long (a server that accepts TCP and never answers). Default 10 s. */
  timeoutMs?: number;
}

/**
 * A connected node-postgres client on `url`: each of connectionAttempts in turn
 * (libpq's sslmode). A connection that cannot be made, or that the server refuses
 * (authentication, unknown database, starting up), is a ConnectionError (exit 2)
 * saying what to do. Passwords are scrubbed.
 */
export async function connectClient(url: string, options: ConnectOptions = {}): Promise<pg.Client> {
  const clean = (s: string) => scrub(s, secretsOf(url));
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let lastError: unknown = null;
  for (const attempt of connectionAttempts(url)) {
    const candidate = new pg.Client({ connectionString: attempt, application_name: options.applicationName ?? 'tiered-migrate', connectionTimeoutMillis: timeoutMs });
    // A dropped connection emits 'error' on the client; without a listener Node would crash.
    candidate.on('error', () => undefined);
    try {
      await candidate.connect();
      return candidate;
    } catch (error) {
      lastError = error;
      await candidate.end().catch(() => undefined);
      // The server answered and refused: another sslmode would not change its mind.
      if (isServerError(error)) break;
    }
  }
  throw connectFailure(lastError, url, redactUrl(url), clean, timeoutMs);
}

export async function openPostgres(url: string, options: ConnectOptions = {}): Promise<Database> {
  const secrets = secretsOf(url);
  const client = await connectClient(url, options);
  return wrapPgClient(client, { display: redactUrl(url), clean: (s) => scrub(s, secrets), owned: true });
}

/** The node-postgres client shape we use: a `pg.Client` the caller may have opened. */
export type PgClientLike = Pick<pg.Client, 'query'> & { end?: () => Promise<void> };

/**
 * Our Database over a connected node-postgres client. `owned`: close() ends the
 * connection; a caller's client (the API's `database` option) is left open.
 */
export function wrapPgClient(connected: PgClientLike, options: { display: string; clean: (s: string) => string; owned: boolean }): Database {
  const { display, clean } = options;
  // What node-postgres connected with (absent on a client-like object of the caller's).
  const parameters = (connected as { connectionParameters?: pg.ClientConfig }).connectionParameters;

  const wrap = async <T>(op: () => Promise<T>, completed: () => number | null = () => null): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      if (isServerError(error)) throw toDatabaseError(error, clean, completed());
      throw new MigrateError('CONNECTION_LOST', `lost connection to ${display}: ${clean(String((error as Error).message ?? error))}`, { cause: error });
    }
  };

  // The client's connection emits each CommandComplete the server sends: in a script,
  // one per statement that finished, so a failed script says which statement failed
  // (DatabaseError.completedStatements) without being run again. This adapter awaits
  // each query before the next, so every one counted while the script runs is its own.
  const connection = (connected as { connection?: Pick<EventEmitter, 'on' | 'off'> }).connection;
  const execCounting = async (script: string): Promise<void> => {
    let completed = 0;
    const count = () => void completed++;
    connection?.on('commandComplete', count);
    try {
      await wrap(
        async () => void (await connected.query(script)),
        () => (connection ? completed : null),
      );
    } finally {
      connection?.off('commandComplete', count);
    }
  };

  const queryable: Queryable = {
    query: <R>(sql: string, params?: readonly unknown[]) => wrap(async () => (await connected.query(sql, params as unknown[] | undefined)).rows as R[]),
    exec: execCounting,
  };

  return {
    display,
    sessionDefaultsSql: 'RESET SESSION AUTHORIZATION;\nRESET ROLE;\nRESET ALL',
    ...queryable,
    async transaction<T>(fn: TransactionBody<T>, options: TransactionOptions = {}): Promise<T> {
      // BEGIN, the lock and the prelude travel in one round trip. The isolation level is
      // explicit: under a database default of REPEATABLE READ or SERIALIZABLE the
      // snapshot would predate the lock, and the prelude would not see the holder's commit.
      const lock = options.lock ? `SELECT ${LOCK_FUNCTIONS[options.lock]}(${MIGRATION_LOCK_KEY}) AS locked` : null;
      const script = ['BEGIN ISOLATION LEVEL READ COMMITTED', lock, options.prelude ?? null].filter((s): s is string => s !== null).join(';\n');
      try {
        const results = asList(await wrap(async () => connected.query(script) as unknown as pg.QueryResult | pg.QueryResult[]));
        const rows = options.prelude ? (results.at(-1)?.rows ?? []) : [];
        const locked = options.lock !== 'try' || results[1]?.rows[0]?.locked === true;
        let committed = false;
        const tx: TransactionQueryable = {
          ...queryable,
          async execAndCommit(script: string) {
            // The server runs COMMIT only if every statement before it succeeded.
            await queryable.exec(`${script};\nCOMMIT`);
            committed = true;
          },
        };
        const result = await fn(tx, rows as Row[], locked);
        if (!committed) await queryable.exec('COMMIT');
        return result;
      } catch (error) {
        await connected.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async cancel() {
      // node-postgres sends the cancel request from a new connection carrying the
      // session's process id and secret key; there is no public wrapper for it.
      const client = connected as pg.Client & { activeQuery?: unknown; connectionParameters?: pg.ClientConfig };
      if (!client.activeQuery) return;
      const canceller = new pg.Client(client.connectionParameters) as pg.Client & { cancel(target: pg.Client, query: unknown): void };
      canceller.on('error', () => undefined);
      canceller.cancel(client, client.activeQuery);
    },
    async openObserver() {
      // The same parameters as the cancel request's: this very server (through the same
      // pooler, which hands out another server connection), credentials and TLS.
      const params = (connected as pg.Client & { connectionParameters?: pg.ClientConfig }).connectionParameters;
      if (!params) throw new MigrateError('CONNECTION', `cannot open a second connection to ${display}`);
      // The password is not enumerable on node-postgres' parameters: passed by name. A
      // server that does not answer must not hold the run: the observer gives up first.
      const observer = new pg.Client({
        ...params,
        password: params.password,
        application_name: 'tiered-migrate (lock observer)',
        connectionTimeoutMillis: 3000,
      } as pg.ClientConfig);
      observer.on('error', () => undefined);
      await wrap(() => observer.connect());
      return {
        query: <R>(sql: string, values?: readonly unknown[]) => wrap(async () => (await observer.query(sql, values as unknown[] | undefined)).rows as R[]),
        exec: (script: string) => wrap(async () => void (await observer.query(script))),
        close: () => observer.end().catch(() => undefined),
      };
    },
    async close() {
      if (options.owned) await connected.end?.().catch(() => undefined);
    },
    ...(parameters ? { openSibling: () => openSibling(parameters, display, clean) } : {}),
  };
}

/** A new connection with the parameters of an open one (its URL, password and application name included). */
async function openSibling(parameters: pg.ClientConfig, display: string, clean: (s: string) => string): Promise<Database> {
  const client = new pg.Client(parameters);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isServerError(error)) throw toDatabaseError(error, clean);
    throw new MigrateError('CONNECTION', `cannot open a second connection to ${display}: ${clean(String((error as Error)?.message ?? error))}`);
  }
  return wrapPgClient(client, { display, clean, owned: true });
}
