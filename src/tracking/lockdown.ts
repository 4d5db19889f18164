// The tracking tables belong to the migration role alone. Any role with default
// privileges on `public` (on Supabase, `anon` and `authenticated` through the API)
// could otherwise forge or delete tracking rows, and with them decide what runs.
// Every privilege held by another role or PUBLIC is revoked, on the tables and
// their sequences, and RLS is enabled with no policy (the owner bypasses it).
import type { Queryable } from '../db/driver.js';
import { CURRENT_OWN_TABLE_NAMES } from '../core/tracking.js';
import { sqlLiteral } from './sql-text.js';

export interface OpenRelation {
  rel: string;
  kind: string;
  rls: boolean;
  grantees: string[];
}

/**
 * The tool's tables in `schema` (and their sequences) with what is open on them:
 * those this role owns (it can close them), or, `anyOwner`, all (to report them).
 */
export function openRelationsSql(schema: string, options: { anyOwner?: boolean } = {}): string {
  const names = `ARRAY[${CURRENT_OWN_TABLE_NAMES.map((t) => sqlLiteral(t)).join(', ')}]::text[]`;
  return `WITH t AS (
  SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ${sqlLiteral(schema)} AND c.relname = ANY (${names}) AND c.relkind = 'r'
), rels AS (
  SELECT oid FROM t
  UNION SELECT d.objid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid
   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refobjid IN (SELECT oid FROM t) AND d.deptype IN ('a', 'i') AND s.relkind = 'S'
)
SELECT c.oid::regclass::text AS rel, c.relkind::text AS kind, c.relrowsecurity AS rls,
       coalesce((SELECT array_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END)
                   FROM pg_catalog.aclexplode(c.relacl) a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
                  WHERE a.grantee <> c.relowner), '{}') AS grantees
  FROM pg_catalog.pg_class c
 WHERE c.oid IN (SELECT oid FROM rels)${options.anyOwner ? '' : ` AND pg_catalog.pg_has_role(c.relowner, 'USAGE')`}
 ORDER BY 1`;
}

/**
 * Revokes every privilege of other roles and PUBLIC on the tool's tables and their
 * sequences, and enables RLS on the tables. Run under the migration lock. Returns
 * what it changed, one note per relation (empty when all was closed already).
 */
export async function lockDownTracking(tx: Queryable, schema: string): Promise<string[]> {
  const rows = await tx.query<OpenRelation>(openRelationsSql(schema));
  const statements: string[] = [];
  const notes: string[] = [];
  for (const r of rows) {
    const changes: string[] = [];
    if (r.grantees.length > 0) {
      statements.push(`REVOKE ALL ON ${r.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${r.rel} FROM ${r.grantees.join(', ')}`);
      changes.push(`revoked all privileges from ${r.grantees.join(', ')}`);
    }
    if (r.kind === 'r' && !r.rls) {
      statements.push(`ALTER TABLE ${r.rel} ENABLE ROW LEVEL SECURITY`);
      changes.push('enabled row level security (no policy: only the owner reads or writes it)');
    }
    if (changes.length > 0) notes.push(`locked down ${r.rel}: ${changes.join('; ')}`);
  }
  if (statements.length > 0) await tx.exec(statements.join(';\n'));
  return notes;
}
