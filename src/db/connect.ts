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
  | { kind: 'pglite'; dir: string | null; display: string; origin: string; isDefault: boolean };

/**
 * MIGRATE_DATABASE_URL (an owner credential) wins over DATABASE_URL; with neither,
 * the embedded database in `<root>/.pglite`. `pglite:<dir>` and `pglite:memory`
 * select the embedded database explicitly.
 */
export function resolveTarget(root: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  const [origin, value] = env.MIGRATE_DATABASE_URL
    ? ['MIGRATE_DATABASE_URL', env.MIGRATE_DATABASE_URL]
    : env.DATABASE_URL
      ? ['DATABASE_URL', env.DATABASE_URL]
      : [null, null];
  if (value === null || origin === null) {
    const dir = path.join(root, EMBEDDED_DIR);
    return { kind: 'pglite', dir, display: `pglite:${dir}`, origin: 'default', isDefault: true };
  }
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

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(target.url);
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(target.dir);
}
