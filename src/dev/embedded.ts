// The embedded database as a PGlite instance of our own, for the commands that
// need the instance itself (dev serves it over the wire protocol, reset rebuilds
// its folder under the lock) rather than src/db/pglite.ts's Database over it.
import type { PGlite } from '@electric-sql/pglite';
import type { DatabaseTarget } from '../db/connect.js';
export { embeddedExists, startPglite } from '../db/pglite.js';

/** The run target for an instance of ours, displayed as the folder it serves. */
export function instanceTarget(db: PGlite, dir: string | null, origin: string): DatabaseTarget {
  return { kind: 'client', driver: 'pglite', client: db, display: dir ? `pglite:${dir}` : 'pglite:memory', origin };
}
