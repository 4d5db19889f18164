// The tracking tables: creating and upgrading them, reading them, recording a
// file. Table and column names are a persisted format shared with databases
// migrated by earlier tools: never change them.
// Every statement names the tables through `tableRef`: schema-qualified once the
// run knows the schema, so a migration file's search_path (pg_dump's first line
// empties it) cannot send a tracking row elsewhere or make it fail.
import type { Queryable } from '../db/driver.js';
import type { MigrationFile, TrackedRow, TrackingTable } from '../core/types.js';
import { HISTORY_TABLE_NAME, SETTINGS_TABLE, TRACKING_TABLES, TRACKING_TABLE_NAMES, identityOfFile, type IdentityColumn } from '../core/tracking.js';
import { parseServerFacts, serverFactsSql, type ServerFacts } from './preflight.js';
import { CHECKSUM_ALGORITHM, TOKEN_CHECKSUM_ALGORITHM } from '../core/checksum.js';
import { DatabaseError, MigrateError } from '../core/errors.js';
import { ident, sqlLiteral, tableRef } from './sql-text.js';

export { ident, sqlLiteral, tableRef };

/**
 * The schema of the tracking tables, as the session sees it at the start of a run:
 * where its search_path finds `_migrations`, or, when there is none yet, where it
 * would create it (`current_schema()`). NULL when the search_path names no schema.
 */
const TRACKING_SCHEMA_SQL = `coalesce((SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.to_regclass('_migrations')), pg_catalog.current_schema())`;

/** The documented DDL, verbatim in names, types and constraints. */
const documentedDdl = (schema: string) => `
CREATE TABLE IF NOT EXISTS ${tableRef(schema, '_migrations')} (
  id SERIAL PRIMARY KEY,
  filename TEXT UNIQUE NOT NULL,
  executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ${tableRef(schema, '_content_migrations')} (
  id SERIAL PRIMARY KEY,
  source_type TEXT NOT NULL,
  source_name TEXT NOT NULL,
  filename TEXT NOT NULL,
  executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE(source_type, source_name, filename)
);
CREATE TABLE IF NOT EXISTS ${tableRef(schema, '_entity_migrations')} (
  id SERIAL PRIMARY KEY,
  entity_name TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source_name TEXT NOT NULL,
  filename TEXT NOT NULL,
  executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE(entity_name, filename)
);`;

/**
 * The token checksum beside the byte checksum (see src/sql/token-checksum.ts), with
 * its algorithm: nullable, filled for rows recorded from now on. Never change.
 */
const TOKEN_COLUMN_NAMES = ['token_checksum', 'token_checksum_algorithm'];
const tokenColumns = (schema: string, table: TrackingTable) => `ALTER TABLE ${tableRef(schema, table)}
  ADD COLUMN IF NOT EXISTS token_checksum TEXT,
  ADD COLUMN IF NOT EXISTS token_checksum_algorithm TEXT;`;

/** Our own nullable columns, added to the documented tables (below). */
const OWN_COLUMN_NAMES = ['checksum', 'checksum_algorithm', 'duration_ms', ...TOKEN_COLUMN_NAMES];
const ownColumns = (schema: string) =>
  TRACKING_TABLE_NAMES.map(
    (t) => `ALTER TABLE ${tableRef(schema, t)}
  ADD COLUMN IF NOT EXISTS checksum TEXT,
  ADD COLUMN IF NOT EXISTS checksum_algorithm TEXT,
  ADD COLUMN IF NOT EXISTS duration_ms INTEGER;
${tokenColumns(schema, t)}`,
  ).join('\n');

/**
 * Our own history of changes made to tracking rows outside a run (repair, baseline,
 * rollback): who, when, what, and the checksums before and after. A persisted
 * format: add columns, never rename. Written by src/tracking/history.ts.
 */
export const historyTableDdl = (schema: string) => `
CREATE TABLE IF NOT EXISTS ${tableRef(schema, HISTORY_TABLE_NAME)} (
  id SERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  action TEXT NOT NULL,
  tracking_table TEXT NOT NULL,
  source_type TEXT,
  source_name TEXT,
  entity_name TEXT,
  filename TEXT NOT NULL,
  old_checksum TEXT,
  new_checksum TEXT,
  row_executed_at TEXT,
  by TEXT NOT NULL,
  note TEXT
);`;

/**
 * One query reads every tracking row (a no-op run costs one round trip), plus a
 * marker row when the legacy `_theme_migrations` table still needs folding in, one
 * carrying the tables' schema (in `filename`), so the run learns it for free, one
 * per setting (key in `filename`, value in `checksum`) and one of the server's
 * preflight facts (JSON in `filename`). `settings: false` leaves the settings
 * table out, to read tables made before it existed.
 */
export function readAllSql(schema: string | null, options: { settings?: boolean } = {}): string {
  const schemaSql = schema === null ? TRACKING_SCHEMA_SQL : sqlLiteral(schema);
  return [
    ...TRACKING_TABLE_NAMES.map((table) => {
      const has = new Set(TRACKING_TABLES[table].recorded.map((c) => c.column));
      const column = (name: IdentityColumn['column']) => (has.has(name) ? name : 'NULL::text');
      return `SELECT '${table}' AS tbl, ${column('source_type')} AS source_type, ${column('source_name')} AS source_name, ${column('entity_name')} AS entity_name, filename, checksum, checksum_algorithm, executed_at::text AS executed_at, duration_ms, token_checksum, token_checksum_algorithm FROM ${tableRef(schema, table)}`;
    }),
    `SELECT '_legacy', NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL WHERE pg_catalog.to_regclass(${sqlLiteral(tableRef(schema, '_theme_migrations'))}) IS NOT NULL`,
    `SELECT '_schema', NULL, NULL, NULL, (${schemaSql})::text, NULL, NULL, NULL, NULL, NULL, NULL`,
    ...(options.settings === false ? [] : [`SELECT '_setting', NULL, NULL, NULL, key, value, NULL, set_at::text, NULL, NULL, NULL FROM ${tableRef(schema, SETTINGS_TABLE)}`]),
    `SELECT '_preflight', NULL, NULL, NULL, ${serverFactsSql(schemaSql, (t) => tableRef(schema, t))}, NULL, NULL, NULL, NULL, NULL, NULL`,
  ].join('\nUNION ALL\n');
}

/** How many tracking rows there are, in one row (`n`): a cheap sign that a runner is making progress. */
export function countAllSql(schema: string): string {
  return `SELECT ${TRACKING_TABLE_NAMES.map((t) => `(SELECT count(*) FROM ${tableRef(schema, t)})`).join(' + ')} AS n`;
}

interface RawRow {
  tbl: string;
  source_type: string | null;
  source_name: string | null;
  entity_name: string | null;
  filename: string;
  checksum: string | null;
  checksum_algorithm: string | null;
  executed_at: string | null;
  duration_ms: number | null;
  token_checksum: string | null;
  token_checksum_algorithm: string | null;
}

/**
 * The tracking rows, and the schema every later statement of the run qualifies the
 * tables with; the tool's settings (the production marker) and the server's facts.
 */
export type TrackingState =
  | { ready: true; schema: string; rows: TrackedRow[]; settings: ReadonlyMap<string, string>; facts: ServerFacts }
  | { ready: false; reason: string };

/** The server's facts alone (see ServerFacts), for a run whose tracking tables are not ready. */
export async function readServerFacts(db: Queryable): Promise<ServerFacts> {
  const rows = await db.query<{ facts: string }>(`SELECT ${serverFactsSql(TRACKING_SCHEMA_SQL, (t) => tableRef(null, t))} AS facts`);
  return parseServerFacts(rows[0]!.facts);
}

/**
 * Reads all tracking rows; `ready: false` when the tables are missing or need an
 * upgrade. Without `schema`, reads the tables the session's search_path finds (the
 * run's first query) and reports their schema.
 */
export async function readTracking(db: Queryable, schema: string | null = null, options: { settings?: boolean } = {}): Promise<TrackingState> {
  let raw: RawRow[];
  try {
    raw = await db.query<RawRow>(readAllSql(schema, options));
  } catch (error) {
    // undefined_table / undefined_column: a new database, or an older variant to upgrade.
    // 3F000: the schema named (a fleet's schema-per-tenant target) does not exist yet.
    if (error instanceof DatabaseError && (error.pg.sqlstate === '42P01' || error.pg.sqlstate === '42703' || error.pg.sqlstate === '3F000')) {
      return { ready: false, reason: error.pg.message };
    }
    throw error;
  }
  if (raw.some((r) => r.tbl === '_legacy')) return { ready: false, reason: 'legacy _theme_migrations table present' };
  // The tables were found, so the marker names their schema.
  const found = raw.find((r) => r.tbl === '_schema')?.filename ?? schema;
  if (!found) throw new MigrateError('DATABASE', 'the schema of the tracking tables could not be determined');
  const settings = new Map(raw.filter((r) => r.tbl === '_setting').map((r) => [r.filename, r.checksum ?? '']));
  const facts = parseServerFacts(raw.find((r) => r.tbl === '_preflight')!.filename);
  return { ready: true, schema: found, rows: trackedRowsOf(raw), settings, facts };
}

/** The tracking rows among the rows of `readAllSql` (its marker rows left out). */
export function trackedRowsOf(rows: readonly object[]): TrackedRow[] {
  return (rows as unknown as RawRow[])
    .filter((r) => (TRACKING_TABLE_NAMES as readonly string[]).includes(r.tbl))
    .map((r) => ({
      table: r.tbl as TrackingTable,
      sourceType: r.source_type,
      sourceName: r.source_name,
      entity: r.entity_name,
      filename: r.filename,
      checksum: r.checksum,
      checksumAlgorithm: r.checksum_algorithm,
      executedAt: r.executed_at,
      durationMs: r.duration_ms,
      tokenChecksum: r.token_checksum,
      tokenChecksumAlgorithm: r.token_checksum_algorithm,
    }));
}

/** Where an entity lives, to fill `source_type`/`source_name` on rows of old installations. */
export type EntityOrigins = ReadonlyMap<string, { sourceType: string; sourceName: string }>;

/**
 * Creates the tracking tables, or upgrades older variants in place. Must run inside
 * an exclusive transaction: concurrent runners would otherwise race on CREATE TABLE.
 * Returns the tables' schema (see TRACKING_SCHEMA_SQL) and human notes about what
 * was upgraded.
 */
export async function ensureTrackingSchema(tx: Queryable, entityOrigins: EntityOrigins, inSchema?: string): Promise<{ schema: string; notes: string[] }> {
  const notes: string[] = [];
  // A schema-per-tenant target: its tables live in the tenant's schema, made if missing.
  if (inSchema !== undefined) {
    const [row] = await tx.query<{ missing: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS missing', [inSchema]);
    if (row?.missing) {
      await tx.exec(`CREATE SCHEMA ${ident(inSchema)}`);
      notes.push(`created schema ${ident(inSchema)} (schema-per-tenant target)`);
    }
  }
  const existing = await tx.query<{ schema: string | null; table_name: string | null; column_name: string | null }>(
    `WITH s AS (SELECT ${inSchema !== undefined ? sqlLiteral(inSchema) : TRACKING_SCHEMA_SQL} AS schema)
     SELECT s.schema, c.table_name::text, c.column_name::text FROM s
       LEFT JOIN information_schema.columns c ON c.table_schema = s.schema
        AND c.table_name IN ('_migrations', '_content_migrations', '_entity_migrations', '_theme_migrations', ${sqlLiteral(SETTINGS_TABLE)})`,
  );
  const schema = existing[0]?.schema ?? null;
  if (schema === null) {
    throw new MigrateError('DATABASE', 'no schema to create the tracking tables in: the search_path names no existing schema', {
      hint: 'Set search_path (for the role or the database) to an existing schema, e.g. ALTER ROLE … SET search_path = public.',
    });
  }
  const columns = (table: string) => new Set(existing.filter((c) => c.table_name === table).map((c) => c.column_name));
  const entityColumns = columns('_entity_migrations');

  // Entity tables of the first generation had no source columns.
  if (entityColumns.size > 0 && (!entityColumns.has('source_type') || !entityColumns.has('source_name'))) {
    const entities = tableRef(schema, '_entity_migrations');
    await tx.exec(`ALTER TABLE ${entities} ADD COLUMN IF NOT EXISTS source_type TEXT, ADD COLUMN IF NOT EXISTS source_name TEXT`);
    const names = await tx.query<{ entity_name: string }>(
      `SELECT DISTINCT entity_name FROM ${entities} WHERE source_type IS NULL OR source_name IS NULL`,
    );
    for (const { entity_name } of names) {
      const origin = entityOrigins.get(entity_name);
      await tx.query(
        `UPDATE ${entities} SET source_type = COALESCE(source_type, $2), source_name = COALESCE(source_name, $3) WHERE entity_name = $1`,
        [entity_name, origin?.sourceType ?? 'unknown', origin?.sourceName ?? 'unknown'],
      );
    }
    await tx.exec(`ALTER TABLE ${entities} ALTER COLUMN source_type SET NOT NULL, ALTER COLUMN source_name SET NOT NULL`);
    notes.push(`upgraded _entity_migrations: added source_type/source_name to ${names.length} entit${names.length === 1 ? 'y' : 'ies'}`);
  }

  // Already complete (another runner made them while this one waited for the lock):
  // no DDL, whose locks would only stall the runners reading the tables.
  const complete = TRACKING_TABLE_NAMES.every((t) => {
    const has = columns(t);
    return ['id', ...TRACKING_TABLES[t].recorded.map((c) => c.column), 'executed_at', ...OWN_COLUMN_NAMES].every((c) => has.has(c));
  });
  if (!complete) await tx.exec(`${documentedDdl(schema)}\n${ownColumns(schema)}`);
  const withSettings = columns(SETTINGS_TABLE).size > 0;
  if (!withSettings) await ensureSettingsTable(tx, schema);
  if (!complete || !withSettings) {
    const { lockDownTracking } = await import('./lockdown.js');
    const locked = await lockDownTracking(tx, schema);
    // New tables are made closed: worth a note only when they were open before.
    const existed = TRACKING_TABLE_NAMES.some((t) => columns(t).size > 0);
    if (existed) notes.push(...locked);
  }

  const legacy = columns('_theme_migrations');
  if (legacy.size > 0) {
    const nameColumn = ['theme_name', 'theme', 'source_name', 'name'].find((c) => legacy.has(c));
    if (nameColumn && legacy.has('filename')) {
      const executedAt = legacy.has('executed_at') ? 'executed_at' : 'CURRENT_TIMESTAMP';
      const moved = await tx.query<{ n: number }>(
        `WITH moved AS (
           INSERT INTO ${tableRef(schema, '_content_migrations')} (source_type, source_name, filename, executed_at)
           SELECT 'theme', ${ident(nameColumn)}, filename, ${executedAt} FROM ${tableRef(schema, '_theme_migrations')}
           ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*)::int AS n FROM moved`,
      );
      // Kept, renamed, rather than dropped: history is never thrown away.
      await tx.exec(`ALTER TABLE ${tableRef(schema, '_theme_migrations')} RENAME TO ${ident('_theme_migrations_legacy')}`);
      notes.push(`moved ${moved[0]?.n ?? 0} row(s) of legacy _theme_migrations into _content_migrations (old table kept as _theme_migrations_legacy)`);
    } else {
      notes.push('legacy _theme_migrations has no recognisable theme/filename columns: left untouched');
    }
  }
  return { schema, notes };
}

/**
 * The tool's settings table (SETTINGS_TABLE): one row per key, e.g. the production
 * marker. Created beside the tracking tables. Persisted format: never change.
 */
export async function ensureSettingsTable(tx: Queryable, schema: string): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${tableRef(schema, SETTINGS_TABLE)} (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  set_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  set_by TEXT NOT NULL DEFAULT current_user
)`);
}


/** The row's identity: what the table's UNIQUE constraint covers. */
export function keyCondition(file: Pick<MigrationFile, 'source' | 'filename'>): string {
  const id = identityOfFile(file);
  return TRACKING_TABLES[file.source.table].key.map((c) => `${c.column} = ${sqlLiteral(id[c.field])}`).join(' AND ');
}

/** Selects the file's tracking row, if any: run under the lock, right after BEGIN. */
export function recordedCheckSql(schema: string, file: MigrationFile): string {
  return `SELECT 1 AS recorded FROM ${tableRef(schema, file.source.table)} WHERE ${keyCondition(file)}`;
}

/**
 * Deletes the file's tracking row (db:rollback). Sent in the same script as the
 * file's down file, so the row goes exactly when what the file did is undone.
 */
export function removeRecordSql(schema: string, file: MigrationFile): string {
  return `DELETE FROM ${tableRef(schema, file.source.table)} WHERE ${keyCondition(file)}`;
}

/**
 * Inserts the file's tracking row. Sent in the same script as the file, so the row
 * and the file commit together; `duration_ms` is measured by the server from the
 * moment it received that script, unless `duration` says otherwise: the runner's own
 * measure (a no-transaction file's statements run before the row's own transaction),
 * or 'none' for a file recorded without being run (NULL). `tokenChecksum`: see src/sql/token-checksum.ts; null leaves it unset.
 */
export function recordAppliedSql(schema: string, file: MigrationFile, tokenChecksum: string | null = null, duration: number | 'measured' | 'none' = 'measured'): string {
  const id = identityOfFile(file);
  const identity = TRACKING_TABLES[file.source.table].recorded;
  const durationSql = duration === 'measured' ? `(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::int` : duration === 'none' ? 'NULL' : String(Math.round(duration));
  const columns = [...identity.map((c) => c.column), 'checksum', 'checksum_algorithm', 'duration_ms', 'token_checksum', 'token_checksum_algorithm'];
  const values = [
    ...identity.map((c) => sqlLiteral(id[c.field])),
    sqlLiteral(file.checksum),
    sqlLiteral(CHECKSUM_ALGORITHM),
    durationSql,
    sqlLiteral(tokenChecksum),
    sqlLiteral(tokenChecksum === null ? null : TOKEN_CHECKSUM_ALGORITHM),
  ];
  return `INSERT INTO ${tableRef(schema, file.source.table)} (${columns.join(', ')}) VALUES (${values.join(', ')})`;
}

/** Fills in checksums of rows recorded before checksums existed (one UPDATE per table). */
export async function adoptChecksums(tx: Queryable, schema: string, files: readonly MigrationFile[]): Promise<void> {
  const byTable = new Map<TrackingTable, MigrationFile[]>();
  for (const f of files) byTable.set(f.source.table, [...(byTable.get(f.source.table) ?? []), f]);
  for (const [table, list] of byTable) {
    const key = TRACKING_TABLES[table].key;
    const ids = list.map(identityOfFile);
    // One array parameter per key column, matched with unnest in one statement.
    const params: unknown[] = [list.map((f) => f.checksum), CHECKSUM_ALGORITHM, ...key.map((c) => ids.map((id) => id[c.field]))];
    const arrays = key.map((_, i) => `$${i + 3}::text[]`).join(', ');
    const match = key.map((c) => `t.${c.column} = v.${c.column}`).join(' AND ');
    await tx.query(
      `UPDATE ${tableRef(schema, table)} AS t SET checksum = v.checksum, checksum_algorithm = $2
         FROM unnest($1::text[], ${arrays}) AS v(checksum, ${key.map((c) => c.column).join(', ')})
        WHERE ${match} AND t.checksum IS NULL`,
      params,
    );
  }
}
