// A snapshot of what a migration can change, as text: relations, columns,
// constraints, indexes, policies, triggers, functions, views, grants, roles,
// enum labels and each table's row count, in the schemas migrations write to.
// Definitions come from PostgreSQL's own pg_get_*def, so two snapshots compare
// as strings: a trigger dropped and created again the same is no change.
import type { Queryable } from '../../db/driver.js';
import { OWN_TABLE_NAMES } from '../../core/tracking.js';

/** `kind object` → definition. */
export type CatalogSnapshot = Map<string, string>;

/**
 * An ACL as `grantee:PRIVILEGE` pairs without the owner's own entry: the owner
 * holds everything anyway, and what "everything" is differs by version
 * (PostgreSQL 17 added MAINTAIN), so a PostgreSQL 15 server and PGlite agree.
 */
const acl = (column: string, owner: string) =>
  `coalesce((SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'public' ELSE x.grantee::regrole::text END || ':' || x.privilege_type, ',' ORDER BY 1)
               FROM aclexplode(${column}) x WHERE x.grantee <> ${owner} AND x.privilege_type <> 'MAINTAIN'), '-')`;

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

const SNAPSHOT = `
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind, n.nspname, c.relrowsecurity, c.relforcerowsecurity, c.relacl, c.reloptions, c.relowner
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE ${USER_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
)
SELECT 'relation' AS kind, nspname || '.' || relname AS object,
       concat_ws(' ', relkind, 'rls=' || relrowsecurity, 'force=' || relforcerowsecurity, 'acl=' || ${acl('relacl', 'relowner')}, 'options=' || coalesce(reloptions::text, '-')) AS def
  FROM rel
UNION ALL
SELECT 'column', r.nspname || '.' || r.relname || '.' || a.attname,
       concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'not null' END,
                 'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), CASE WHEN a.attacl IS NOT NULL THEN 'acl=' || ${acl('a.attacl', 'r.relowner')} END)
  FROM rel r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
UNION ALL
SELECT 'constraint', r.nspname || '.' || r.relname || '.' || con.conname, pg_catalog.pg_get_constraintdef(con.oid)
  FROM rel r JOIN pg_catalog.pg_constraint con ON con.conrelid = r.oid
 -- PostgreSQL 18 records NOT NULL as constraints too; the column says it on every version.
 WHERE con.contype <> 'n'
UNION ALL
SELECT 'index', r.nspname || '.' || i.relname, pg_catalog.pg_get_indexdef(i.oid)
  FROM rel r JOIN pg_catalog.pg_index x ON x.indrelid = r.oid JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT 'policy', r.nspname || '.' || r.relname || '.' || p.polname,
       concat_ws(' ', p.polcmd, CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                 'to ' || (SELECT string_agg(CASE WHEN o = 0 THEN 'public' ELSE o::regrole::text END, ',' ORDER BY 1) FROM unnest(p.polroles) o),
                 'using ' || pg_catalog.pg_get_expr(p.polqual, p.polrelid), 'check ' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
  FROM rel r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
UNION ALL
SELECT 'trigger', r.nspname || '.' || r.relname || '.' || t.tgname, pg_catalog.pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'view', r.nspname || '.' || r.relname, pg_catalog.pg_get_viewdef(r.oid)
  FROM rel r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       concat_ws(' ', 'returns ' || pg_catalog.pg_get_function_result(p.oid), p.provolatile::text, CASE WHEN p.prosecdef THEN 'security definer' END,
                 'config=' || p.proconfig::text, 'body=' || md5(p.prosrc), 'acl=' || ${acl('p.proacl', 'p.proowner')})
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE ${USER_SCHEMAS} AND p.prokind IN ('f', 'p', 'w')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')
UNION ALL
SELECT 'schema', n.nspname, ${acl('n.nspacl', 'n.nspowner')}
  FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMAS}
UNION ALL
SELECT 'role', rolname, concat_ws(' ', 'login=' || rolcanlogin, 'bypassrls=' || rolbypassrls)
  FROM pg_catalog.pg_roles WHERE rolname NOT LIKE 'pg\\_%'
UNION ALL
SELECT 'enum', t.typname, (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'e' AND ${USER_SCHEMAS}
UNION ALL
SELECT 'extension', extname, '' FROM pg_catalog.pg_extension
`;

/** Row counts, without creating a function: query_to_xml runs each count. */
const ROWS = `
UNION ALL
SELECT 'rows', nspname || '.' || relname,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', nspname, relname), false, true, '')))[1]::text
  FROM rel WHERE relkind IN ('r', 'p')`;

/**
 * The catalog as one map; the engine's own tracking tables are left out. Row
 * counts (`rows`) read every table: for the shadow, not for a live database.
 */
export async function snapshotCatalog(db: Queryable, options: { rows: boolean } = { rows: true }): Promise<CatalogSnapshot> {
  const rows = await db.query<{ kind: string; object: string; def: string | null }>(options.rows ? SNAPSHOT + ROWS : SNAPSHOT);
  const snapshot: CatalogSnapshot = new Map();
  for (const row of rows) {
    const table = row.object.split('.')[1] ?? '';
    if (OWN_TABLE_NAMES.has(table)) continue;
    snapshot.set(`${row.kind} ${row.object}`, row.def ?? '');
  }
  return snapshot;
}

export interface CatalogChange {
  /** `+` added, `-` removed, `~` changed. */
  sign: '+' | '-' | '~';
  /** `policy public.tasks.tasks_own`, `rows public.tasks`… */
  object: string;
  before: string | null;
  after: string | null;
}

/** What differs between two snapshots, sorted by object. Pure. */
export function diffCatalog(before: CatalogSnapshot, after: CatalogSnapshot): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const [object, def] of after) {
    const old = before.get(object);
    if (old === undefined) changes.push({ sign: '+', object, before: null, after: def });
    else if (old !== def) changes.push({ sign: '~', object, before: old, after: def });
  }
  for (const [object, def] of before) if (!after.has(object)) changes.push({ sign: '-', object, before: def, after: null });
  return changes.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
}

/** One line per change: `+ index public.idx_x`, `~ rows public.tasks: 3 → 6`. */
export function describeChange(change: CatalogChange): string {
  if (change.object.startsWith('rows ')) return `${change.sign} ${change.object}: ${change.before ?? 0} → ${change.after ?? 0}`;
  return `${change.sign} ${change.object}`;
}
