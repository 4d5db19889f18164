// The embedded database as a PGlite instance of our own, for the commands that
// need the instance itself (dev serves it over the wire protocol, reset rebuilds
// its folder under the lock) rather than src/db/pglite.ts's Database over it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { MigrateError } from '../core/errors.js';
import type { DatabaseTarget } from '../db/connect.js';

/** True when `dir` holds a PGlite (PostgreSQL) data folder: PG_VERSION is written by initdb. */
export function embeddedExists(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'));
}

/**
 * Starts PGlite on `dir` (null: in memory), with the extensions migrations commonly
 * CREATE — the same set as src/db/pglite.ts's openPglite. The caller holds the
 * folder lock (acquireFolderLock) and closes the instance.
 */
export async function startPglite(dir: string | null): Promise<PGlite> {
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

/** The run target for an instance of ours, displayed as the folder it serves. */
export function instanceTarget(db: PGlite, dir: string | null, origin: string): DatabaseTarget {
  return { kind: 'client', driver: 'pglite', client: db, display: dir ? `pglite:${dir}` : 'pglite:memory', origin };
}
