// Claims of no-transaction files: which runner is applying which file right now.
// A no-transaction file cannot hold the transaction-scoped migration lock while it
// runs (a concurrent index build waits for every open transaction, a waiting
// runner's included), and session advisory locks do not survive a transaction
// pooler; so a row in a table of our own says "taken", kept alive by a heartbeat.
// Table and column names are a persisted format: never change them.
import type { Queryable } from '../db/driver.js';
import type { MigrationFile } from '../core/types.js';
import { CLAIMS_TABLE_NAME, fileKey } from '../core/tracking.js';
import { sqlLiteral, tableRef } from './sql-text.js';

/** The claim's file, as text PostgreSQL can store (fileKey's NUL separators cannot be). */
export function claimKey(file: MigrationFile): string {
  return JSON.stringify(fileKey(file).split('\u0000'));
}

/** Creates the claims table when missing. Run under the exclusive migration lock (runners would race on CREATE). */
export async function ensureClaimsTable(tx: Queryable, schema: string): Promise<void> {
  const [row] = await tx.query<{ present: boolean }>(`SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present`, [tableRef(schema, CLAIMS_TABLE_NAME)]);
  if (row?.present) return;
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${tableRef(schema, CLAIMS_TABLE_NAME)} (
  file_key TEXT PRIMARY KEY,
  runner TEXT NOT NULL,
  claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`);
}

/** What a runner found when it tried to claim a file. */
export type ClaimAttempt = { kind: 'claimed' } | { kind: 'taken-over'; previous: string; silentMs: number } | { kind: 'held'; runner: string; silentMs: number };

/**
 * Claims `file` for `runner` unless another runner holds a live claim on it (one
 * whose heartbeat is younger than `expireMs`; `expireMs` null: every claim is
 * stale, there being no other runner). Run under the exclusive migration lock,
 * after the file's tracking row was found missing.
 */
export async function tryClaim(tx: Queryable, schema: string, file: MigrationFile, runner: string, expireMs: number | null): Promise<ClaimAttempt> {
  await ensureClaimsTable(tx, schema);
  const table = tableRef(schema, CLAIMS_TABLE_NAME);
  const key = claimKey(file);
  const [held] = await tx.query<{ runner: string; silent_ms: number }>(
    `SELECT runner, (extract(epoch FROM now() - heartbeat_at) * 1000)::float8 AS silent_ms FROM ${table} WHERE file_key = $1`,
    [key],
  );
  if (!held) {
    await tx.query(`INSERT INTO ${table} (file_key, runner) VALUES ($1, $2)`, [key, runner]);
    return { kind: 'claimed' };
  }
  const silentMs = Number(held.silent_ms);
  if (expireMs !== null && silentMs < expireMs && held.runner !== runner) return { kind: 'held', runner: held.runner, silentMs };
  await tx.query(`UPDATE ${table} SET runner = $2, claimed_at = now(), heartbeat_at = now() WHERE file_key = $1`, [key, runner]);
  return { kind: 'taken-over', previous: held.runner, silentMs };
}

/** Keeps the claim alive; false when it is no longer this runner's (taken over). Autocommit: one statement. */
export async function beatClaim(db: Queryable, schema: string, file: MigrationFile, runner: string): Promise<boolean> {
  const rows = await db.query(`UPDATE ${tableRef(schema, CLAIMS_TABLE_NAME)} SET heartbeat_at = now() WHERE file_key = $1 AND runner = $2 RETURNING 1`, [claimKey(file), runner]);
  return rows.length > 0;
}

/** Removes this runner's claim on `file` (a script fragment: it travels with the tracking row). */
export function releaseClaimSql(schema: string, file: MigrationFile, runner: string): string {
  return `DELETE FROM ${tableRef(schema, CLAIMS_TABLE_NAME)} WHERE file_key = ${sqlLiteral(claimKey(file))} AND runner = ${sqlLiteral(runner)}`;
}
