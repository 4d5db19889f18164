// Which database a run talks to, and opening it. Adapters are imported lazily so
// a run on a server never loads PGlite, and the reverse.
import path from 'node:path';
import type { Database } from './driver.js';
import { MigrateError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { databaseUrlProblem } from '../core/database-url.js';

/** Folder of the embedded database inside the project (git-ignored). */
export const EMBEDDED_DIR = '.pglite';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; display: string; origin: string; connect?: { timeoutMs: number; waitMs: number } }
  | { kind: 'pglite'; dir: string | null; display: string; origin: string; isDefault: boolean }
  /** A connection the caller opened and will close (the API's `database` option). */
  | { kind: 'client'; driver: 'pg' | 'pglite'; client: unknown; display: string; origin: string };

/**
 * The variables that name the database, first found wins: MIGRATE_DATABASE_URL (an
 * owner credential for migrations), DIRECT_URL (the non-pooled URL Prisma and
 * Supabase users already keep), DATABASE_URL (the app's). With none, the embedded
 * database in `<root>/.pglite`.
 */
export const DATABASE_VARIABLES = ['MIGRATE_DATABASE_URL', 'DIRECT_URL', 'DATABASE_URL'] as const;

/** Which database a run uses, from the environment (see DATABASE_VARIABLES). */
export function resolveTarget(root: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  const origin = DATABASE_VARIABLES.find((name) => env[name]);
  if (origin === undefined) return embeddedDefault(root);
  return targetOfUrl(root, env[origin]!, origin);
}

/** The embedded database in `<root>/.pglite`, used when nothing else is configured. */
export function embeddedDefault(root: string): DatabaseTarget {
  const dir = path.join(root, EMBEDDED_DIR);
  return { kind: 'pglite', dir, display: `pglite:${dir}`, origin: 'default', isDefault: true };
}

/**
 * A database named by a string: a `postgres://` URL, or `pglite:<dir>` and
 * `pglite:memory` for the embedded database. `origin` names where it came from.
 */
export function targetOfUrl(root: string, value: string, origin: string): DatabaseTarget {
  if (value.startsWith('pglite:')) {
    const rest = value.slice('pglite:'.length);
    if (rest === 'memory' || rest === '') return { kind: 'pglite', dir: null, display: 'pglite:memory', origin, isDefault: false };
    const dir = path.resolve(root, rest.replace(/^\/\/(?=\/)/, ''));
    return { kind: 'pglite', dir, display: `pglite:${dir}`, origin, isDefault: false };
  }
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    throw new MigrateError('CONFIG', `${origin} is not a PostgreSQL URL: ${redactUrl(value)}`, {
      hint: 'Use postgresql://user:password@host:5432/database, or pglite:<folder> / pglite:memory for the embedded database.',
    });
  }
  // Caught here, not by the driver: its "Invalid URL" says neither which variable nor what is wrong.
  const problem = databaseUrlProblem(value);
  if (problem) throw new MigrateError('CONFIG', `${origin} cannot be used: ${problem.problem}`, { hint: problem.hint });
  return { kind: 'postgres', url: value, display: redactUrl(value), origin };
}

/**
 * An open connection of the caller's: a node-postgres `Client` (not a Pool: the
 * migration lock is per connection) or a PGlite instance. Told apart by shape, so
 * that neither driver is loaded to check.
 */
export function targetOfClient(client: object, origin: string): DatabaseTarget {
  const has = (name: string) => typeof (client as Record<string, unknown>)[name] === 'function';
  if (has('exec') && has('transaction') && 'waitReady' in client) {
    return { kind: 'client', driver: 'pglite', client, display: 'pglite (instance of the caller)', origin };
  }
  if (has('query') && has('connect') && !('totalCount' in client)) {
    const params = (client as { connectionParameters?: { host?: string; port?: number; database?: string; user?: string } }).connectionParameters;
    const display = params ? `postgres://${params.user ?? ''}@${params.host ?? ''}:${params.port ?? ''}/${params.database ?? ''}` : 'postgres (client of the caller)';
    return { kind: 'client', driver: 'pg', client, display, origin };
  }
  throw new MigrateError('CONFIG', `${origin} is neither a connection URL, a connected pg.Client nor a PGlite instance`, {
    hint: 'Pass a postgres:// URL, pglite:<dir>, pglite:memory, a connected pg.Client (not a Pool), or a PGlite instance.',
  });
}

/** How a server is connected to: the attempt's timeout, and how long to keep retrying (`--wait`). */
export interface ConnectSettings {
  /** Give up one attempt after this long. Default 10 s. */
  timeoutMs?: number;
  /** Keep retrying a refused, unreachable or starting server for this long. Default 0: fail at once. */
  waitMs?: number;
  /** Told of each failed attempt that will be retried, before the pause. */
  onRetry?: (retry: ConnectRetry) => void;
}

/** One failed attempt under `--wait`: which, why, and how long until the next. */
export interface ConnectRetry {
  attempt: number;
  error: MigrateError;
  nextInMs: number;
  /** Time left for retries after this pause. */
  remainingMs: number;
}

/** The first pause between attempts, doubled each time up to WAIT_MAX_PAUSE_MS. */
const WAIT_FIRST_PAUSE_MS = 250;
const WAIT_MAX_PAUSE_MS = 5_000;

/**
 * Opens the target. `scripts` (the project's migration files, read only for an
 * embedded database) decide which extensions PGlite registers; without them, all.
 */
export async function openDatabase(target: DatabaseTarget, options: { scripts?: () => Iterable<string>; connect?: ConnectSettings } = {}): Promise<Database> {
  if (target.kind === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    const { isRetryable } = await import('./connect-failure.js');
    const settings: ConnectSettings = { ...target.connect, ...options.connect };
    const deadline = performance.now() + (settings.waitMs ?? 0);
    let pause = WAIT_FIRST_PAUSE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await openPostgres(target.url, settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs });
      } catch (error) {
        const remaining = deadline - performance.now();
        if (!isRetryable(error) || remaining <= 0) throw error;
        const nextInMs = Math.min(pause, remaining);
        settings.onRetry?.({ attempt, error: error as MigrateError, nextInMs, remainingMs: Math.max(remaining - nextInMs, 0) });
        await new Promise((resolve) => setTimeout(resolve, nextInMs));
        pause = Math.min(pause * 2, WAIT_MAX_PAUSE_MS);
      }
    }
  }
  if (target.kind === 'client') {
    if (target.driver === 'pg') {
      const { wrapPgClient } = await import('./postgres.js');
      return wrapPgClient(target.client as import('./postgres.js').PgClientLike, { display: target.display, clean: (s) => s, owned: false });
    }
    const { wrapPglite } = await import('./pglite.js');
    return wrapPglite(target.client as import('./pglite.js').PgliteLike, { display: target.display, close: async () => {} });
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(target.dir, options.scripts?.());
}
