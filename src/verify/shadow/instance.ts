// The shadow database: a new in-memory PGlite with the extensions the engine's
// embedded database offers, owned by the verifier and closed by it.
import type { PGlite } from '@electric-sql/pglite';

/** A new, empty in-memory PGlite (the same extensions as `pglite:memory`). */
export async function newShadowInstance(): Promise<PGlite> {
  const [{ PGlite }, { pgcrypto }, { uuid_ossp }, { citext }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pgcrypto'),
    import('@electric-sql/pglite/contrib/uuid_ossp'),
    import('@electric-sql/pglite/contrib/citext'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  const db = new PGlite(undefined, { extensions: { pgcrypto, uuid_ossp, citext, pg_trgm } });
  await db.waitReady;
  return db;
}
