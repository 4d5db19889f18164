// The shadow database: a new in-memory PGlite with the extensions the engine's
// embedded database offers, owned by the verifier and closed by it.
import type { PGlite } from '@electric-sql/pglite';
import { startPglite } from '../../db/pglite.js';

/**
 * A new, empty in-memory PGlite. `scripts` (the files it will run) choose the
 * extensions registered, as for the engine's own embedded database; all four without.
 */
export function newShadowInstance(scripts?: Iterable<string>): Promise<PGlite> {
  return startPglite(null, scripts);
}
