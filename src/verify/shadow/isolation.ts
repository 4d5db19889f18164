// --isolation: on the shadow, after every migration ran, each table with an owner
// column ("userId" referencing "user", or a column a policy compares with
// get_auth_user_id()) is probed the way the app uses it: two users A and B get a
// row each (inserted by the superuser); then as `authenticated` with app.user_id
// = A (SET LOCAL ROLE, set_config(…, true)), A must see none of B's rows, insert
// none owned by B, update, take over or delete none of B's; with no user id
// nothing is visible; `anon` reads only what a policy for anon marks public and
// writes nothing. The catalog is read too: RLS off, privileges anon holds without
// a policy for it, views that read an owned table with their owner's rights.
// Everything runs in one transaction that is rolled back: the shadow is left as
// the migrations made it. A table that cannot be filled is listed, never passed.
import type { PGlite } from '@electric-sql/pglite';
import type { Node } from 'libpg-query';
import type { Finding } from '../types.js';
import { RULE_SEVERITY } from '../types.js';
import { as, strings, walk } from '../ast.js';
import type { Parser } from '../parse.js';
import { OWN_TABLE_NAMES } from '../../core/tracking.js';
import type { AccessCell, IsolationReport, IsolationRow } from './isolation-report.js';
import { probeDb, ProbeSqlError, type ProbeDb } from './probe-db.js';
import { CannotFill, RowFiller, quote } from './fill.js';

export type { AccessCell, IsolationReport, IsolationRow, TableFinding } from './isolation-report.js';

/** Where a relation is created, for findings (the file, or `(shadow)`). */
export type Locate = (table: string) => { file: string; line: number; column: number };

interface OwnedTable {
  /** As regclass prints it: `tasks`, `"user"`. */
  reg: string;
  name: string;
  owner: string;
  rls: boolean;
}

class Rollback extends Error {}

/** The column compared with get_auth_user_id() in a policy expression, read with PostgreSQL's parser. */
function ownerColumnOf(parser: Parser, expression: string): string | null {
  let found: string | null = null;
  try {
    walk(parser.parseSync(`SELECT ${expression}`), (kind, payload) => {
      if (found || kind !== 'A_Expr' || strings(payload.name as Node[] | undefined).join('.') !== '=') return;
      const sides = [payload.lexpr as Node | undefined, payload.rexpr as Node | undefined];
      const isAuth = (n: Node | undefined) => {
        const fn = as(n, 'FuncCall') ?? as(as(n, 'SubLink')?.subselect, 'SelectStmt')?.targetList?.map((t) => as(as(t, 'ResTarget')?.val, 'FuncCall')).find(Boolean);
        const name = strings(fn?.funcname);
        return name[name.length - 1] === 'get_auth_user_id';
      };
      const column = (n: Node | undefined) => {
        const fields = strings(as(n, 'ColumnRef')?.fields);
        return fields.length === 1 ? fields[0]! : null;
      };
      if (isAuth(sides[0]) && column(sides[1])) found = column(sides[1]);
      else if (isAuth(sides[1]) && column(sides[0])) found = column(sides[0]);
    });
  } catch {
    return null;
  }
  return found;
}

async function ownedTables(db: ProbeDb, parser: Parser): Promise<OwnedTable[]> {
  const tables = await db.rows<{ reg: string; name: string; rls: boolean; fk_owner: string | null }>(
    `SELECT c.oid::regclass::text AS reg, c.relname AS name, c.relrowsecurity AS rls,
            (SELECT a.attname::text FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
              WHERE k.conrelid = c.oid AND k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND a.attname = 'userId'
                AND k.confrelid = to_regclass('public."user"') LIMIT 1) AS fk_owner
       FROM pg_catalog.pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const policies = await db.rows<{ table: string; expr: string }>(
    `SELECT c.relname AS table, e.expr
       FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid,
            LATERAL (VALUES (pg_catalog.pg_get_expr(p.polqual, p.polrelid)), (pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))) AS e(expr)
      WHERE c.relnamespace = 'public'::regnamespace AND e.expr IS NOT NULL`,
  );
  const fromPolicies = new Map<string, string>();
  for (const p of policies) {
    if (fromPolicies.has(p.table)) continue;
    const column = ownerColumnOf(parser, p.expr);
    if (column) fromPolicies.set(p.table, column);
  }
  const owned: OwnedTable[] = [];
  for (const t of tables) {
    if (OWN_TABLE_NAMES.has(t.name)) continue;
    const owner = t.fk_owner ?? fromPolicies.get(t.name) ?? null;
    if (owner) owned.push({ reg: t.reg, name: t.name, owner, rls: t.rls });
  }
  return owned;
}

type Outcome = { ok: true; rows: number; value: Record<string, unknown> | null } | { ok: false; sqlstate: string | null; message: string };

/** Runs `sql` as `role` with app.user_id = `userId` (or unset), behind a savepoint always rolled back. */
async function as_(db: ProbeDb, role: string, userId: string | null, sql: string, params: unknown[], write: boolean): Promise<Outcome> {
  await db.exec('SAVEPOINT probe_attempt');
  try {
    await db.exec(`SET LOCAL ROLE ${quote(role)}`);
    await db.rows(`SELECT set_config('app.user_id', $1, true)`, [userId ?? '']);
    if (write) return { ok: true, rows: await db.run(sql, params), value: null };
    const rows = await db.rows(sql, params);
    return { ok: true, rows: rows.length, value: rows[0] ?? null };
  } catch (error) {
    if (!(error instanceof ProbeSqlError)) throw error;
    return { ok: false, sqlstate: error.sqlstate, message: error.message };
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT probe_attempt');
  }
}

const shown = (o: Outcome, what: (rows: number, value: Record<string, unknown> | null) => string) =>
  o.ok ? what(o.rows, o.value) : o.sqlstate === '42501' ? (/row-level security/.test(o.message) ? 'denied (policy)' : 'denied (grant)') : `error ${o.sqlstate ?? ''}`.trim();

/** Probes every owned table of the shadow. `instance` is the shadow itself. */
export async function probeIsolation(instance: PGlite, parser: Parser, locate: Locate): Promise<IsolationReport> {
  const report: IsolationReport = { findings: [], matrix: [], access: [], notProbed: [] };
  try {
    await instance.transaction(async (tx) => {
      await probeAll(probeDb(tx), parser, locate, report);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return report;
}

async function probeAll(db: ProbeDb, parser: Parser, locate: Locate, report: IsolationReport): Promise<void> {
  await probeTables(db, parser, locate, report);
  // Never passed silently: each table the probe could not fill is a warning too (--strict fails on it).
  for (const n of report.notProbed) {
    report.findings.push({
      rule: 'not-probed',
      severity: RULE_SEVERITY['not-probed'],
      table: n.table,
      ...locate(n.table),
      message: `${n.table} was not probed for isolation: ${n.reason}`,
      fix: 'Give the column a DEFAULT, or a type the probe can fill (text, numbers, booleans, dates, json, uuid, arrays, enums); its isolation is otherwise unproven.',
    });
  }
}

async function probeTables(db: ProbeDb, parser: Parser, locate: Locate, report: IsolationReport): Promise<void> {
  const finding = (table: string, message: string, fix: string) =>
    report.findings.push({ rule: 'isolation', severity: RULE_SEVERITY.isolation, table, ...locate(table), message, fix });
  // A write reaches other users' rows when it changed one; an allowed one that changed none reaches only the role's own.
  const reach = (o: Outcome | null, wide: boolean): AccessCell['reach'] => (o === null || !o.ok ? 0 : wide ? 2 : 1);
  const cell = (table: string, role: string, command: AccessCell['command'], value: AccessCell['reach'], shown: string) => report.access.push({ table, role, command, reach: value, shown });
  const roles = new Set((await db.rows<{ r: string }>(`SELECT rolname AS r FROM pg_catalog.pg_roles WHERE rolname IN ('authenticated', 'anon')`)).map((r) => r.r));
  const owned = await ownedTables(db, parser);
  if (!roles.has('authenticated') || !roles.has('anon')) {
    for (const t of owned) report.notProbed.push({ table: t.name, reason: 'the roles authenticated and anon do not both exist' });
    return;
  }
  const hasUser = (await db.rows(`SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass('public."user"')`)).length > 0;
  if (!hasUser) {
    for (const t of owned) report.notProbed.push({ table: t.name, reason: 'there is no "user" table to own rows' });
    return;
  }
  const filler = new RowFiller(db, parser);
  let a: string;
  let b: string;
  try {
    a = await filler.insert('public."user"', { column: null, userId: '' }, 'id');
    b = await filler.insert('public."user"', { column: null, userId: '' }, 'id');
  } catch (error) {
    if (!(error instanceof CannotFill)) throw error;
    for (const t of owned) report.notProbed.push({ table: t.name, reason: `cannot create the two users: ${error.message}` });
    return;
  }

  await catalogChecks(db, owned, finding);

  for (const t of owned) {
    const O = quote(t.owner);
    const isUser = t.reg === '"user"' || t.reg === 'public."user"';
    let insertAsB: { sql: string; params: string[] } | null = null;
    let insertAsA: { sql: string; params: string[] } | null = null;
    let insertA: Outcome | null = null;
    let insertAnon: Outcome | null = null;
    try {
      if (!isUser) {
        // The INSERT attempts come first: a table with one row per user (UNIQUE "userId")
        // would otherwise refuse them for the duplicate, not for the policy.
        insertAsB = await filler.insertSql(t.reg, await filler.workingRow(t.reg, { column: t.owner, userId: b }, t.owner));
        insertAsA = await filler.insertSql(t.reg, await filler.workingRow(t.reg, { column: t.owner, userId: a }, t.owner));
        insertA = await as_(db, 'authenticated', a, insertAsB.sql, insertAsB.params, true);
        insertAnon = await as_(db, 'anon', null, insertAsA.sql, insertAsA.params, true);
        await filler.insert(t.reg, { column: t.owner, userId: a }, t.owner);
        await filler.insert(t.reg, { column: t.owner, userId: b }, t.owner);
      }
    } catch (error) {
      if (!(error instanceof CannotFill)) throw error;
      report.notProbed.push({ table: t.name, reason: error.message });
      continue;
    }
    const updatable = async (role: string) =>
      (await db.rows<{ c: string }>(
        `SELECT a.attname::text AS c FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            AND pg_catalog.has_column_privilege($2, a.attrelid, a.attnum, 'UPDATE') ORDER BY a.attname = $3 DESC, a.attnum LIMIT 1`,
        [t.reg, role, t.owner],
      ))[0]?.c ?? null;
    const update = async (role: string, userId: string | null, target: string) => {
      const column = await updatable(role);
      if (!column) return { outcome: null, text: 'denied (grant)' };
      const outcome = await as_(db, role, userId, `UPDATE ${t.reg} SET ${quote(column)} = ${quote(column)} WHERE ${O} = $1`, [target], true);
      return { outcome, text: shown(outcome, (n) => `${n} rows`) };
    };
    const wrote = (o: Outcome | null) => o !== null && o.ok && o.rows > 0;

    // As A.
    const selectA = await as_(db, 'authenticated', a, `SELECT count(*) FILTER (WHERE ${O} = $1)::int AS own, count(*) FILTER (WHERE ${O} IS DISTINCT FROM $1)::int AS others FROM ${t.reg}`, [a], false);
    const updateA = await update('authenticated', a, b);
    const takeOver = (await updatable('authenticated')) === t.owner ? await as_(db, 'authenticated', a, `UPDATE ${t.reg} SET ${O} = $1 WHERE ${O} = $2`, [b, a], true) : null;
    const deleteA = await as_(db, 'authenticated', a, `DELETE FROM ${t.reg} WHERE ${O} = $1`, [b], true);
    const others = selectA.ok ? Number(selectA.value?.others ?? 0) : 0;
    const rowA = {
      table: t.name,
      role: 'user A',
      select: shown(selectA, (_, v) => `own ${Number(v?.own ?? 0)} · others ${Number(v?.others ?? 0)}`),
      insert: insertA ? shown(insertA, () => 'ALLOWED') + ' (owned by B)' : '-',
      update: `${updateA.text}${takeOver ? ` · own→B ${shown(takeOver, (n) => `${n} rows`)}` : ''}`,
      delete: shown(deleteA, (n) => `${n} rows`),
    };
    report.matrix.push(rowA);
    cell(t.name, rowA.role, 'SELECT', reach(selectA, others > 0), rowA.select);
    if (insertA) cell(t.name, rowA.role, 'INSERT', reach(insertA, wrote(insertA)), rowA.insert);
    cell(t.name, rowA.role, 'UPDATE', reach(updateA.outcome, wrote(updateA.outcome) || wrote(takeOver)), rowA.update);
    cell(t.name, rowA.role, 'DELETE', reach(deleteA, wrote(deleteA)), rowA.delete);
    if (others > 0) finding(t.name, `user A sees ${others} row(s) of ${t.name} owned by someone else (as authenticated with app.user_id = A)`, `Restrict the SELECT policies of ${t.name} to ${O} = public.get_auth_user_id() (no USING (true) for authenticated), and keep RLS enabled.`);
    if (insertA && wrote(insertA)) finding(t.name, `user A can insert a row of ${t.name} owned by user B`, `Give the INSERT policy of ${t.name} WITH CHECK (${O} = public.get_auth_user_id()).`);
    if (wrote(updateA.outcome)) finding(t.name, `user A can update user B's rows of ${t.name}`, `Give the UPDATE policy of ${t.name} USING (${O} = public.get_auth_user_id()).`);
    if (wrote(takeOver)) finding(t.name, `user A can hand their own row of ${t.name} to user B (UPDATE … SET ${O} = B)`, `Give the UPDATE policy of ${t.name} WITH CHECK (${O} = public.get_auth_user_id()).`);
    if (wrote(deleteA)) finding(t.name, `user A can delete user B's rows of ${t.name}`, `Give the DELETE policy of ${t.name} USING (${O} = public.get_auth_user_id()).`);

    // Signed in, but no user id set: nothing at all.
    const selectNone = await as_(db, 'authenticated', null, `SELECT count(*)::int AS n FROM ${t.reg}`, [], false);
    const seenNone = selectNone.ok ? Number(selectNone.value?.n ?? 0) : 0;
    const rowNone = { table: t.name, role: 'no user', select: shown(selectNone, (_, v) => `${Number(v?.n ?? 0)} rows`), insert: '-', update: '-', delete: '-' };
    report.matrix.push(rowNone);
    cell(t.name, rowNone.role, 'SELECT', reach(selectNone, seenNone > 0), rowNone.select);
    if (seenNone > 0) finding(t.name, `with no app.user_id set, authenticated sees ${seenNone} row(s) of ${t.name}`, `A policy of ${t.name} lets every row through; compare ${O} with public.get_auth_user_id() (NULL when unset).`);

    // anon: the probe rows are private (defaults), so no policy marks them public.
    const selectAnon = await as_(db, 'anon', null, `SELECT count(*)::int AS n FROM ${t.reg} WHERE ${O} = ANY ($1::text[])`, [[a, b]], false);
    const updateAnon = await update('anon', null, a);
    const deleteAnon = await as_(db, 'anon', null, `DELETE FROM ${t.reg} WHERE ${O} = $1`, [a], true);
    const seenAnon = selectAnon.ok ? Number(selectAnon.value?.n ?? 0) : 0;
    const rowAnon = {
      table: t.name,
      role: 'anon',
      select: shown(selectAnon, (_, v) => `${Number(v?.n ?? 0)} rows`),
      insert: insertAnon ? shown(insertAnon, () => 'ALLOWED') : '-',
      update: updateAnon.text,
      delete: shown(deleteAnon, (n) => `${n} rows`),
    };
    report.matrix.push(rowAnon);
    cell(t.name, rowAnon.role, 'SELECT', reach(selectAnon, seenAnon > 0), rowAnon.select);
    if (insertAnon) cell(t.name, rowAnon.role, 'INSERT', reach(insertAnon, wrote(insertAnon)), rowAnon.insert);
    cell(t.name, rowAnon.role, 'UPDATE', reach(updateAnon.outcome, wrote(updateAnon.outcome)), rowAnon.update);
    cell(t.name, rowAnon.role, 'DELETE', reach(deleteAnon, wrote(deleteAnon)), rowAnon.delete);
    if (seenAnon > 0) finding(t.name, `anon sees ${seenAnon} private row(s) of ${t.name} (rows no policy marks public)`, `Give anon only a SELECT policy on what is public (e.g. USING ("isPublic")), never USING (true).`);
    if ((insertAnon && wrote(insertAnon)) || wrote(updateAnon.outcome) || wrote(deleteAnon)) {
      finding(t.name, `anon can write to ${t.name}`, `Revoke INSERT, UPDATE and DELETE on ${t.name} from anon, and give it no write policy.`);
    }
  }
}

/** What the catalog alone shows: RLS off, anon's privileges without a policy for it, views with their owner's rights. */
async function catalogChecks(db: ProbeDb, owned: readonly OwnedTable[], finding: (table: string, message: string, fix: string) => void): Promise<void> {
  for (const t of owned) {
    if (!t.rls) finding(t.name, `row level security is disabled on ${t.name}: every role with a grant sees and changes every user's rows`, `ALTER TABLE ${t.reg} ENABLE ROW LEVEL SECURITY; in a new migration.`);
    const [privileges] = await db.rows<{ writes: string[]; sel: boolean; anon_policy: boolean }>(
      `SELECT ARRAY(SELECT p FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                     WHERE pg_catalog.has_table_privilege('anon', $1::regclass, p)
                        OR (p = 'UPDATE' AND pg_catalog.has_any_column_privilege('anon', $1::regclass, 'UPDATE'))) AS writes,
              pg_catalog.has_any_column_privilege('anon', $1::regclass, 'SELECT') AS sel,
              EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = $1::regclass AND p.polcmd IN ('r', '*')
                         AND 'anon'::regrole = ANY (p.polroles)) AS anon_policy`,
      [t.reg],
    );
    if (!privileges) continue;
    if (privileges.writes.length > 0) finding(t.name, `anon is granted ${privileges.writes.join(', ')} on ${t.name}, a table whose rows belong to users`, `REVOKE ${privileges.writes.join(', ')} ON ${t.reg} FROM anon;`);
    if (privileges.sel && !privileges.anon_policy) {
      finding(t.name, `anon is granted SELECT on ${t.name}, but no policy for anon says which rows are public`, `REVOKE SELECT ON ${t.reg} FROM anon; or add a SELECT policy TO anon on the public rows only.`);
    }
  }
  const views = await db.rows<{ view: string; reads: string }>(
    `SELECT DISTINCT v.relname AS view, t.relname AS reads
       FROM pg_catalog.pg_class v
       JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid
       JOIN pg_catalog.pg_depend d ON d.objid = r.oid AND d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
       JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid
      WHERE v.relnamespace = 'public'::regnamespace AND v.relkind IN ('v', 'm')
        AND t.relname = ANY ($1::text[])
        AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(v.reloptions, '{}')) o WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'))
        AND (pg_catalog.has_table_privilege('authenticated', v.oid, 'SELECT') OR pg_catalog.has_table_privilege('anon', v.oid, 'SELECT'))
      ORDER BY 1, 2`,
    [owned.map((t) => t.name)],
  );
  for (const v of views) {
    finding(v.view, `view ${v.view} reads ${v.reads} with its owner's rights (no security_invoker, or a materialized view): the request roles see every user's rows through it`, `CREATE OR REPLACE VIEW ${quote(v.view)} WITH (security_invoker = true) AS …; (materialized views cannot: revoke SELECT on them from the request roles).`);
  }
}
