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
  | { kind: 'postgres'; url: string; display: string; origin: string }
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

/**
 * Opens the target. `scripts` (the project's migration files, read only for an
 * embedded database) decide which extensions PGlite registers; without them, all.
 */
export async function openDatabase(target: DatabaseTarget, options: { scripts?: () => Iterable<string> } = {}): Promise<Database> {
  if (target.kind === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(target.url);
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
