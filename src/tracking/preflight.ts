// Preflight: what the server and the role allow, learnt before anything runs and
// in the run's first query (a marker row of readAllSql), so a no-op run costs no
// extra round trip. A standby, a read-only database or a role that may not create
// where the run must create is a configuration error (exit 2) saying what to
// point at instead, raised before anything is written.
import { MigrateError } from '../core/errors.js';
import { CURRENT_OWN_TABLE_NAMES } from '../core/tracking.js';

/** What the server said about itself and the role, in the first query. */
export interface ServerFacts {
  /** pg_is_in_recovery(): a hot standby (replica), which takes no writes. */
  standby: boolean;
  /** transaction_read_only is on for a new transaction (default_transaction_read_only, a read-only role or database). */
  readOnly: boolean;
  role: string;
  /** CREATE on the tracking tables' schema (null when that schema does not exist). */
  createInTracking: boolean | null;
  /** CREATE on `public` (null when there is no `public`). */
  createInPublic: boolean | null;
  /** A tracking table this role owns has RLS off or a privilege held by another role or PUBLIC: lock it down. */
  trackingOpen: boolean;
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * One SQL expression (text, JSON inside) of ServerFacts; `schemaSql` is an SQL
 * expression naming the tracking tables' schema, `tableRef` how a table is named
 * (qualified once the schema is known). The tables are looked up by to_regclass,
 * by index: the expression stays cheap enough for every run's first query.
 */
export function serverFactsSql(schemaSql: string, tableRef: (table: string) => string): string {
  // has_schema_privilege(name) fails on a schema that does not exist: `public` is checked first.
  const createIn = (schema: string) => `CASE WHEN pg_catalog.to_regnamespace(${schema}) IS NOT NULL THEN pg_catalog.has_schema_privilege(${schema}, 'CREATE') END`;
  const tables = CURRENT_OWN_TABLE_NAMES.map((t) => `pg_catalog.to_regclass(${sqlText(tableRef(t))})`).join(', ');
  return `pg_catalog.json_build_object(
  'standby', pg_catalog.pg_is_in_recovery(),
  'readOnly', pg_catalog.current_setting('transaction_read_only') = 'on',
  'role', current_user::text,
  'createInTracking', ${createIn(schemaSql)},
  'createInPublic', ${createIn("'public'")},
  'trackingOpen', EXISTS (SELECT 1 FROM pg_catalog.pg_class c
     WHERE c.oid = ANY (ARRAY[${tables}]::oid[]) AND c.relkind = 'r' AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
       AND (NOT c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a WHERE a.grantee <> c.relowner))))::text`;
}

/** ServerFacts from the text serverFactsSql made. */
export function parseServerFacts(text: string): ServerFacts {
  return JSON.parse(text) as ServerFacts;
}

export interface PreflightInput {
  /** Whether this run writes (migrate without --dry-run). */
  writes: boolean;
  /** The tracking tables must be created or upgraded by this run. */
  createsTracking: boolean;
  /** Files will run (they create in `public`, as migrations do). */
  pending: boolean;
  /** Where, redacted, for messages. */
  database: string;
}

/** The reason this server cannot take this run, or null. Pure. */
export function preflightError(facts: ServerFacts, input: PreflightInput): MigrateError | null {
  if (!input.writes) return null;
  if (facts.standby) {
    return new MigrateError('CONFIG', `${input.database} is a hot standby (read-only replica, pg_is_in_recovery() is true): migrations cannot run on it`, {
      hint: 'Point MIGRATE_DATABASE_URL at the primary (read-write) server; a replica receives the changes from it. status works on a standby.',
    });
  }
  if (facts.readOnly) {
    return new MigrateError('CONFIG', `${input.database} is read-only for role "${facts.role}" (default_transaction_read_only / transaction_read_only = on): nothing was run`, {
      hint: 'Point MIGRATE_DATABASE_URL at a read-write URL (the primary, not a read replica endpoint), or turn it off: ALTER DATABASE … SET default_transaction_read_only = off (or ALTER ROLE … for the role).',
    });
  }
  if (input.createsTracking && facts.createInTracking === false) {
    return new MigrateError('CONFIG', `role "${facts.role}" may not create the tracking tables: no CREATE privilege on their schema`, {
      hint: 'Run migrations as the owner role of the database (MIGRATE_DATABASE_URL), or GRANT CREATE ON SCHEMA … TO the role.',
    });
  }
  if (input.pending && facts.createInPublic === false) {
    return new MigrateError('CONFIG', `role "${facts.role}" may not create in schema public, where migrations create their objects: nothing was run`, {
      hint: 'Set MIGRATE_DATABASE_URL to the owner role (the one that owns the schema and its tables; on Supabase the postgres role), keeping DATABASE_URL for the app.',
    });
  }
  return null;
}
