// verify --fresh and --idempotency on fixture projects: the migrations applied
// through the engine to a new in-memory PGlite, each file run a second time right
// after it is applied. One shadow per verify call; fixtures share calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../src/api/verify.js';
import { repoRoot, runCli, themeConfig } from './support/project.js';
import { baseProjects, body, cleanTable } from './fixtures/verify/helpers.js';
import type { Finding } from '../src/verify/types.js';

const project = baseProjects();
const THEME = { 'contents/themes/t1/config/theme.config.ts': themeConfig([]) };
const of = (findings: readonly Finding[], rule: string) => findings.filter((f) => f.rule === rule).map((f) => `${f.file}:${f.line}:${f.column}`);

test('--fresh: the first failure on a new database is a finding with file, line, column and PostgreSQL\'s message', async () => {
  const root = project({
    ...THEME,
    'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
    // Fails at run time, in the second statement: the column does not exist.
    'contents/themes/t1/migrations/001_broken.sql': body('001_broken.sql', 'SELECT 1;', 'CREATE INDEX IF NOT EXISTS idx_notes_title ON "notes"(title);'),
    'contents/themes/t1/migrations/002_after.sql': body('002_after.sql', ...cleanTable('after_items')),
  });
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, fresh: true });
  const fresh = report.findings.filter((f) => f.rule === 'fresh');
  assert.equal(fresh.length, 1, JSON.stringify(report.findings));
  assert.equal(fresh[0]!.file, 'contents/themes/t1/migrations/001_broken.sql');
  assert.equal(fresh[0]!.line, 5);
  assert.equal(fresh[0]!.column, 1, 'the statement (PostgreSQL gives no position for this one)');
  assert.match(fresh[0]!.message, /column "title" does not exist/);
  assert.match(fresh[0]!.message, /SQLSTATE 42703/);
  assert.equal(report.ok, false);
  assert.equal(report.shadow?.setups[0]?.applied, 2, 'the two core files');
});

test('--idempotency: a second run that fails or changes the catalog or the rows is found, file by file; idempotent files are not', async () => {
  const root = project({
    ...THEME,
    'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
    // Idempotent, the documented ways: guarded DDL, DROP … IF EXISTS before CREATE, ON CONFLICT.
    'contents/themes/t1/migrations/001_good.sql': body(
      '001_good.sql',
      'ALTER TABLE "notes" ADD COLUMN IF NOT EXISTS title TEXT;',
      'CREATE UNIQUE INDEX IF NOT EXISTS idx_notes_title ON "notes"(title);',
      `INSERT INTO "user" (id, email) VALUES ('u-1', 'a@example.com') ON CONFLICT (id) DO NOTHING;`,
      'DROP POLICY IF EXISTS notes_read ON "notes";',
      'CREATE POLICY notes_read ON "notes" FOR SELECT USING ("userId" = public.get_auth_user_id());',
    ),
    'contents/themes/t1/migrations/002_policy_twice.sql': body('002_policy_twice.sql', 'CREATE POLICY notes_write ON "notes" FOR INSERT WITH CHECK ("userId" = public.get_auth_user_id());'),
    'contents/themes/t1/migrations/003_add_column.sql': body('003_add_column.sql', 'SELECT 1;', 'ALTER TABLE "notes" ADD COLUMN body TEXT;'),
    'contents/themes/t1/migrations/004_insert.sql': body('004_insert.sql', `INSERT INTO "notes" ("userId", title) VALUES ('u-1', NULL);`),
    // Succeeds twice but changes the catalog: a grant is no change, a new default is.
    'contents/themes/t1/migrations/005_toggle.sql': body(
      '005_toggle.sql',
      'GRANT SELECT ON "notes" TO PUBLIC;',
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'extra') THEN ALTER TABLE "notes" ALTER COLUMN extra SET DEFAULT 'again'; ELSE ALTER TABLE "notes" ADD COLUMN extra TEXT; END IF; END $$;`,
    ),
  });
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, idempotency: true });
  assert.deepEqual(of(report.findings, 'fresh'), [], JSON.stringify(report.findings));
  assert.deepEqual(of(report.findings, 'idempotency'), [
    'contents/themes/t1/migrations/002_policy_twice.sql:4:1',
    'contents/themes/t1/migrations/003_add_column.sql:5:1',
    'contents/themes/t1/migrations/004_insert.sql:4:1',
    'contents/themes/t1/migrations/005_toggle.sql:5:1',
  ]);
  const message = (file: string) => report.findings.find((f) => f.rule === 'idempotency' && f.file.endsWith(file))!.message;
  assert.match(message('002_policy_twice.sql'), /fails when run a second time: policy "notes_write" for table "notes" already exists \(SQLSTATE 42710\)/);
  assert.match(message('003_add_column.sql'), /column "body" of relation "notes" already exists/);
  assert.match(message('004_insert.sql'), /a second run changes the database: ~ rows public\.notes: 1 → 2/);
  assert.match(message('005_toggle.sql'), /~ column public\.notes\.extra/);
  assert.ok(report.shadow!.setups[0]!.timings.idempotency! > 0);
});

test("the repository's own migrations: fresh and idempotent in every theme setup, timings in --verbose", async () => {
  const run = await runCli(['verify', '--root', repoRoot, '--all', '--no-db', '--no-env-file', '--fresh', '--idempotency', '--verbose'], {});
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /🧪 Shadow theme default \(plugins ai, billing\): 12 files applied/);
  assert.match(run.stdout, /🧪 Shadow theme minimal: \d+ files applied/);
  assert.match(run.stdout, /⏱️ {2}database .* · fresh .* · idempotency /);
  assert.match(run.stdout, /✅ 0 errors, 0 warnings/);
});

/** The request roles, as the shipped core creates them. */
const ROLES = body(
  '002_roles.sql',
  `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF; END $$;`,
  'GRANT USAGE ON SCHEMA public TO authenticated, anon;',
  'GRANT SELECT ON "user" TO authenticated;',
);
/** A table owned by "userId", with one owner policy per command (or `policies` instead), granted to authenticated. */
function owned(table: string, policies?: string[], extra: string[] = []): string[] {
  const own = '"userId" = public.get_auth_user_id()';
  return [
    ...cleanTable(table).filter((l) => !l.includes('POLICY')),
    ...(policies ?? [
      `DROP POLICY IF EXISTS ${table}_select ON "${table}";`,
      `CREATE POLICY ${table}_select ON "${table}" FOR SELECT TO authenticated USING (${own});`,
      `DROP POLICY IF EXISTS ${table}_insert ON "${table}";`,
      `CREATE POLICY ${table}_insert ON "${table}" FOR INSERT TO authenticated WITH CHECK (${own});`,
      `DROP POLICY IF EXISTS ${table}_update ON "${table}";`,
      `CREATE POLICY ${table}_update ON "${table}" FOR UPDATE TO authenticated USING (${own}) WITH CHECK (${own});`,
      `DROP POLICY IF EXISTS ${table}_delete ON "${table}";`,
      `CREATE POLICY ${table}_delete ON "${table}" FOR DELETE TO authenticated USING (${own});`,
    ]),
    `GRANT SELECT, INSERT, UPDATE, DELETE ON "${table}" TO authenticated;`,
    ...extra,
  ];
}

test('--isolation: USING (true), an INSERT policy without an owner check, a grant to anon, RLS disabled and a view without security_invoker are each caught; a clean table is not', async () => {
  const own = '"userId" = public.get_auth_user_id()';
  const root = project({
    ...THEME,
    'migrations/002_roles.sql': ROLES,
    'contents/themes/t1/migrations/001_clean.sql': body('001_clean.sql', ...owned('clean_items')),
    'contents/themes/t1/migrations/002_open.sql': body('002_open.sql', ...owned('open_items', ['DROP POLICY IF EXISTS open_all ON "open_items";', 'CREATE POLICY open_all ON "open_items" FOR ALL TO authenticated USING (true);'])),
    'contents/themes/t1/migrations/003_nocheck.sql': body(
      '003_nocheck.sql',
      ...owned('nocheck_items', [
        'DROP POLICY IF EXISTS nocheck_select ON "nocheck_items";',
        `CREATE POLICY nocheck_select ON "nocheck_items" FOR SELECT TO authenticated USING (${own});`,
        'DROP POLICY IF EXISTS nocheck_insert ON "nocheck_items";',
        'CREATE POLICY nocheck_insert ON "nocheck_items" FOR INSERT TO authenticated WITH CHECK (true);',
      ]),
    ),
    'contents/themes/t1/migrations/004_anon.sql': body('004_anon.sql', ...owned('anon_items', undefined, ['GRANT SELECT, INSERT ON "anon_items" TO anon;'])),
    'contents/themes/t1/migrations/005_norls.sql': body('005_norls.sql', ...owned('norls_items', undefined, ['ALTER TABLE "norls_items" DISABLE ROW LEVEL SECURITY;'])),
    // A point has no generated value: listed, and a warning, never passed silently.
    'contents/themes/t1/migrations/007_odd.sql': body('007_odd.sql', ...owned('odd_items', undefined, ['ALTER TABLE "odd_items" ADD COLUMN IF NOT EXISTS spot point NOT NULL;'])),
    'contents/themes/t1/migrations/006_view.sql': body(
      '006_view.sql',
      'CREATE OR REPLACE VIEW clean_items_view AS SELECT id, "userId" FROM "clean_items";',
      'GRANT SELECT ON clean_items_view TO authenticated;',
      'CREATE OR REPLACE VIEW clean_items_safe WITH (security_invoker = true) AS SELECT id, "userId" FROM "clean_items";',
      'GRANT SELECT ON clean_items_safe TO authenticated;',
    ),
  });
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, isolation: true });
  assert.deepEqual(of(report.findings, 'fresh'), [], JSON.stringify(report.findings));
  const messages = report.findings.filter((f) => f.rule === 'isolation').map((f) => `${f.file.split('/').pop()}: ${f.message}`);
  const caught = (pattern: RegExp) => assert.ok(messages.some((m) => pattern.test(m)), `${pattern} not in:\n${messages.join('\n')}`);
  caught(/^002_open\.sql: user A sees 1 row\(s\) of open_items owned by someone else/);
  caught(/^002_open\.sql: user A can update user B's rows of open_items/);
  caught(/^003_nocheck\.sql: user A can insert a row of nocheck_items owned by user B/);
  caught(/^004_anon\.sql: anon is granted INSERT on anon_items/);
  caught(/^004_anon\.sql: anon is granted SELECT on anon_items, but no policy for anon/);
  caught(/^005_norls\.sql: row level security is disabled on norls_items/);
  caught(/^005_norls\.sql: user A sees 1 row\(s\) of norls_items/);
  caught(/^006_view\.sql: view clean_items_view reads clean_items with its owner's rights/);
  assert.ok(!messages.some((m) => /clean_items_safe|001_clean\.sql/.test(m)), messages.join('\n'));
  const matrix = report.shadow!.setups[0]!.isolation!;
  assert.deepEqual(matrix.notProbed, [{ table: 'odd_items', reason: 'no value can be generated for spot (point)' }]);
  assert.deepEqual(
    report.findings.filter((f) => f.rule === 'not-probed').map((f) => `${f.severity} ${f.file.split('/').pop()}: ${f.message}`),
    ['warning 007_odd.sql: odd_items was not probed for isolation: no value can be generated for spot (point)'],
  );
  const row = (table: string, role: string) => matrix.matrix.find((r) => r.table === table && r.role === role);
  assert.deepEqual(row('clean_items', 'user A'), { table: 'clean_items', role: 'user A', select: 'own 1 · others 0', insert: 'denied (policy) (owned by B)', update: '0 rows · own→B denied (policy)', delete: '0 rows' });
  assert.equal(row('clean_items', 'no user')!.select, '0 rows');
  assert.equal(row('clean_items', 'anon')!.select, 'denied (grant)');
});

test("--isolation: the shipped schema comes out clean, every owned table probed (as test/schema-rls.test.ts proves by hand)", async () => {
  const run = await runCli(['verify', '--root', repoRoot, '--theme', 'default', '--no-db', '--no-env-file', '--isolation', '--json'], {});
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.deepEqual(doc.findings, []);
  const isolation = doc.shadow.setups[0].isolation;
  assert.deepEqual(isolation.notProbed, []);
  const tables = [...new Set(isolation.matrix.map((r: { table: string }) => r.table))].sort();
  assert.deepEqual(tables, ['account', 'ai_completions', 'api_audit_log', 'api_key', 'billing_subscriptions', 'session', 'tasks', 'theme_preferences', 'user', 'users_metas']);
  for (const r of isolation.matrix) {
    if (r.role === 'user A') assert.match(r.select, /^own 1 · others 0$/, JSON.stringify(r));
    else assert.match(r.select, /^(0 rows|denied \(grant\))$/, JSON.stringify(r));
    assert.doesNotMatch(`${r.insert} ${r.update} ${r.delete}`, /ALLOWED|[1-9]\d* rows/, JSON.stringify(r));
  }
});
