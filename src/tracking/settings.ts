// The tool's settings stored in the database itself (SETTINGS_TABLE), so that what
// a database is does not depend on the shell a command runs in: the production
// marker is the first. Read by the run's first query (readAllSql).
import type { Queryable } from '../db/driver.js';
import { SETTINGS_TABLE } from '../core/tracking.js';
import { tableRef } from './sql-text.js';

/**
 * Sets `key` to `value` (`by`: who or what set it, kept in `set_by` with the role);
 * returns whether anything changed. Run under the migration lock.
 */
export async function setSetting(tx: Queryable, schema: string, key: string, value: string, by: string): Promise<boolean> {
  const rows = await tx.query<{ key: string }>(
    `INSERT INTO ${tableRef(schema, SETTINGS_TABLE)} (key, value, set_at, set_by) VALUES ($1, $2, now(), current_user || ' (' || $3 || ')')
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, set_at = EXCLUDED.set_at, set_by = EXCLUDED.set_by
     WHERE ${tableRef(schema, SETTINGS_TABLE)}.value IS DISTINCT FROM EXCLUDED.value
     RETURNING key`,
    [key, value, by],
  );
  return rows.length > 0;
}

/** Removes `key`; returns whether it was there. */
export async function removeSetting(tx: Queryable, schema: string, key: string): Promise<boolean> {
  const rows = await tx.query<{ key: string }>(`DELETE FROM ${tableRef(schema, SETTINGS_TABLE)} WHERE key = $1 RETURNING key`, [key]);
  return rows.length > 0;
}
