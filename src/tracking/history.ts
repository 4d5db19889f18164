// The history of changes made to tracking rows outside a run: `repair --forget`,
// `repair --accept`, `baseline`, `rollback`. One row per tracking row changed, in
// the transaction that changes it, so the history never claims what did not happen.
import type { Queryable } from '../db/driver.js';
import type { TrackingTable } from '../core/types.js';
import { HISTORY_TABLE_NAME } from '../core/tracking.js';
import { historyTableDdl } from './store.js';
import { sqlLiteral, tableRef } from './sql-text.js';

/** What was done to a tracking row. Persisted in `action`: never rename a value. */
export type HistoryAction = 'forget' | 'accept' | 'baseline' | 'rollback';

/** One entry, as a command records it. */
export interface HistoryEntry {
  action: HistoryAction;
  /** The tracking row concerned: its table and identity (as in TrackedRow). */
  table: TrackingTable;
  sourceType: string | null;
  sourceName: string | null;
  entity: string | null;
  filename: string;
  /** The row's byte checksum before the change (null: there was no row, or no checksum). */
  oldChecksum: string | null;
  /** After the change (null: the row is gone). */
  newChecksum: string | null;
  /** `executed_at` of the row as it was (text), when there was one. */
  rowExecutedAt: string | null;
  /** Who, besides the database role (`current_user`, always recorded): e.g. `alice@laptop`. */
  actor?: string | null;
  note?: string | null;
}

/** An entry as read back. */
export interface HistoryRecord extends Required<Omit<HistoryEntry, 'actor'>> {
  id: number;
  /** When (ISO 8601, UTC). */
  at: string;
  /** `current_user`, then the actor in parentheses when one was given. */
  by: string;
}

/**
 * Appends one entry. Call it inside the transaction that changes the row, under the
 * migration lock (`db.transaction(fn, { lock: 'exclusive' })`): it creates the table
 * when it is missing, which must not race another runner. `schema`: the tracking
 * tables' schema (TrackingState.schema).
 */
export async function recordHistory(tx: Queryable, schema: string, entry: HistoryEntry): Promise<void> {
  const ref = tableRef(schema, HISTORY_TABLE_NAME);
  const [exists] = await tx.query<{ found: boolean }>(`SELECT pg_catalog.to_regclass(${sqlLiteral(ref)}) IS NOT NULL AS found`);
  if (!exists?.found) await tx.exec(historyTableDdl(schema));
  await tx.query(
    `INSERT INTO ${ref} (action, tracking_table, source_type, source_name, entity_name, filename, old_checksum, new_checksum, row_executed_at, by, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, current_user || coalesce(' (' || $10::text || ')', ''), $11)`,
    [
      entry.action,
      entry.table,
      entry.sourceType,
      entry.sourceName,
      entry.entity,
      entry.filename,
      entry.oldChecksum,
      entry.newChecksum,
      entry.rowExecutedAt,
      entry.actor ?? null,
      entry.note ?? null,
    ],
  );
}

interface RawHistory {
  id: number;
  at: string;
  action: HistoryAction;
  tracking_table: TrackingTable;
  source_type: string | null;
  source_name: string | null;
  entity_name: string | null;
  filename: string;
  old_checksum: string | null;
  new_checksum: string | null;
  row_executed_at: string | null;
  by: string;
  note: string | null;
}

/** Every entry, oldest first; none when the table does not exist (nothing was ever repaired). */
export async function readHistory(db: Queryable, schema: string): Promise<HistoryRecord[]> {
  const ref = tableRef(schema, HISTORY_TABLE_NAME);
  const [exists] = await db.query<{ found: boolean }>(`SELECT pg_catalog.to_regclass(${sqlLiteral(ref)}) IS NOT NULL AS found`);
  if (!exists?.found) return [];
  const rows = await db.query<RawHistory>(
    `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, action, tracking_table, source_type, source_name, entity_name,
            filename, old_checksum, new_checksum, row_executed_at, by, note
       FROM ${ref} ORDER BY id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    action: r.action,
    table: r.tracking_table,
    sourceType: r.source_type,
    sourceName: r.source_name,
    entity: r.entity_name,
    filename: r.filename,
    oldChecksum: r.old_checksum,
    newChecksum: r.new_checksum,
    rowExecutedAt: r.row_executed_at,
    by: r.by,
    note: r.note,
  }));
}
