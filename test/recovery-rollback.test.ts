// db:rollback and down files, end to end: the CLI on fixture projects, once per
// backend (PGlite and a server). The schema is compared with catalog snapshots and
// the tracking rows are read directly, so "as it was before" means exactly that.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { BASE, baseProjects, body, cleanTable, ordered } from './fixtures/verify/helpers.js';
import { appliedNewestFirst, planRollback } from '../src/recovery/rollback.js';
import { identityOfFile } from '../src/core/tracking.js';
import type { MigrationFile, TrackedRow } from '../src/core/types.js';
import { snapshotCatalog } from '../src/verify/shadow/catalog.js';
import type { Queryable } from '../src/db/driver.js';

/** Applied by the first migrate: one file per tier; every file but the entity's has a down file. */
const PHASE_1: Record<string, string> = {
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS "user" (id TEXT PRIMARY KEY, email TEXT);\n',
  'migrations/001_init.down.sql': 'DROP TABLE IF EXISTS "user";\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
  'contents/themes/t1/migrations/001_theme_setup.sql': 'CREATE TABLE IF NOT EXISTS theme_prefs (id INT PRIMARY KEY);\n',
  'contents/themes/t1/migrations/001_theme_setup.down.sql': 'DROP TABLE IF EXISTS theme_prefs;\n',
  'contents/plugins/p1/migrations/001_p1.sql': 'CREATE TABLE IF NOT EXISTS p1_things (id INT PRIMARY KEY);\nINSERT INTO p1_things VALUES (1) ON CONFLICT DO NOTHING;\n',
  'contents/plugins/p1/migrations/001_p1.down.sql': 'DROP TABLE IF EXISTS p1_things;\n',
  // No down file: a range that reaches this file is refused.
  'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': 'CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, "userId" TEXT REFERENCES "user"(id));\n',
  // A down file of no migration: warned about, never run (it would fail).
  'contents/themes/t1/migrations/007_gone.down.sql': 'SELECT 1/0;\n',
};

/** Applied by the second migrate, in this order (core → plugin → entity): the three a rollback of 3 undoes. */
const PHASE_2: Record<string, string> = {
  'migrations/002_audit.sql': 'CREATE TABLE IF NOT EXISTS audit (id SERIAL PRIMARY KEY, what TEXT);\nCREATE INDEX IF NOT EXISTS idx_audit_what ON audit (what);\n',
  'migrations/002_audit.down.sql': 'DROP INDEX IF EXISTS idx_audit_what;\nDROP TABLE IF EXISTS audit;\n',
  'contents/plugins/p1/migrations/002_p1_extra.sql':
    'ALTER TABLE p1_things ADD COLUMN IF NOT EXISTS extra TEXT;\nALTER TABLE p1_things ENABLE ROW LEVEL SECURITY;\nDROP POLICY IF EXISTS p1_read ON p1_things;\nCREATE POLICY p1_read ON p1_things FOR SELECT USING (true);\nSET search_path = pg_catalog;\n',
  // Leaves a setting behind too: the next down file must not see it (sessions are reset).
  'contents/plugins/p1/migrations/002_p1_extra.down.sql':
    'DROP POLICY IF EXISTS p1_read ON public.p1_things;\nALTER TABLE public.p1_things DISABLE ROW LEVEL SECURITY;\nALTER TABLE public.p1_things DROP COLUMN IF EXISTS extra;\nSET search_path = pg_catalog;\n',
  'contents/themes/t1/entities/tasks/migrations/002_task_priority.sql': 'ALTER TABLE tasks ADD COLUMN IF NOT EXISTS priority TEXT;\nCREATE INDEX IF NOT EXISTS idx_tasks_priority ON tasks (priority);\n',
  'contents/themes/t1/entities/tasks/migrations/002_task_priority.down.sql': 'DROP INDEX IF EXISTS idx_tasks_priority;\nALTER TABLE tasks DROP COLUMN IF EXISTS priority;\n',
};

const CORE_2 = 'migrations/002_audit.sql';
const PLUGIN_2 = 'contents/plugins/p1/migrations/002_p1_extra.sql';
const ENTITY_2 = 'contents/themes/t1/entities/tasks/migrations/002_task_priority.sql';
const ENTITY_1 = 'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql';

interface RollbackJson {
  ok: boolean;
  dryRun: boolean;
  migrations: { path: string | null; down: string | null; tier: string; status: string }[];
  problems: { code: string; file: string | null; message: string }[];
  error: { code: string; file: string | null; line: number | null; column: number | null; message: string } | null;
}

for (const backend of backends) {
  describe(`rollback on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`rollback on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    async function setup(files: Record<string, string>, theme = 't1') {
      const db: TestDatabaseHandle = await backend.createDatabase();
      const root = writeProject(files);
      cleanup.push(() => db.drop(), () => removeProject(root));
      const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: theme };
      const cli = (command: string, args: string[] = []) => runCli([command, '--root', root, '--no-env-file', ...args], env);
      const rollback = async (args: string[]) => {
        const run = await cli('rollback', ['--json', ...args]);
        return { ...run, doc: JSON.parse(run.stdout) as RollbackJson };
      };
      /** The catalog (with row counts) and every tracking row, read on a connection of the test's own. */
      const state = async () => {
        const c = await connectForTest(db.url);
        try {
          const queryable: Queryable = { query: async (sql, params) => (await c.query(sql, params as unknown[])).rows as never[], exec: (sql) => c.exec(sql) };
          // The tool's history of rollbacks is bookkeeping beside the schema (checked on its own below).
          const catalog = [...(await snapshotCatalog(queryable, { rows: true }))].filter(([k]) => !k.includes('_migrations_history')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const rows = (
            await c.query<{ r: string }>(
              `SELECT '_migrations ' || filename || ' ' || checksum || ' ' || executed_at::text AS r FROM _migrations
               UNION ALL SELECT '_content_migrations ' || source_type || ' ' || source_name || ' ' || filename || ' ' || checksum || ' ' || executed_at::text FROM _content_migrations
               UNION ALL SELECT '_entity_migrations ' || entity_name || ' ' || filename || ' ' || checksum || ' ' || executed_at::text FROM _entity_migrations ORDER BY 1`,
            )
          ).rows.map((r) => r.r);
          return { catalog, rows };
        } finally {
          await c.close();
        }
      };
      return { root, cli, rollback, state };
    }

    test('undoes 3 steps across tiers newest first, refuses a range without down files, re-applies, --to, and stops at a failing down file', async () => {
      const { root, cli, rollback, state } = await setup(PHASE_1);
      const first = await cli('migrate', ['--json']);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      // Down files are not migrations: not run (007_gone.down.sql would fail), not listed,
      // not numbered (001_x.down.sql beside 001_x.sql is no duplicate number); an orphan is a warning.
      assert.ok(first.json!.migrations.every((m) => !m.filename.endsWith('.down.sql')), 'no down file in the run');
      assert.deepEqual(first.json!.migrations.map((m) => m.status), ['applied', 'applied', 'applied', 'applied']);
      assert.deepEqual(
        first.json!.problems.map((p) => `${p.severity} ${p.code} ${p.file}`),
        ['warning orphan-down-file contents/themes/t1/migrations/007_gone.down.sql'],
      );
      const before = await state();

      addFiles(root, PHASE_2);
      const second = await cli('migrate', ['--json']);
      assert.equal(second.code, 0, second.stderr + second.stdout);
      assert.deepEqual(second.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.path), [CORE_2, PLUGIN_2, ENTITY_2]);
      const applied = await state();
      assert.notDeepEqual(applied.catalog, before.catalog);

      // --dry-run: the plan, newest first across tiers; nothing changes.
      const dry = await rollback(['--steps', '3', '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(dry.doc.migrations.map((m) => `${m.tier} ${m.path} ${m.status}`), [`entity ${ENTITY_2} planned`, `plugin ${PLUGIN_2} planned`, `core ${CORE_2} planned`]);

      // A range reaching a migration without a down file: refused, listing it, nothing changed.
      const refused = await rollback(['--steps', '4', '--yes']);
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(refused.doc.ok, false);
      assert.deepEqual(refused.doc.problems.map((p) => p.file), [ENTITY_1]);
      assert.match(refused.doc.problems[0]!.message, /has no down file \(contents\/themes\/t1\/entities\/tasks\/migrations\/001_create_tasks\.down\.sql\)/);
      assert.deepEqual(refused.doc.migrations.map((m) => m.status), ['planned', 'planned', 'planned', 'planned']);

      // Not a terminal and no --yes: refused before anything runs.
      const unconfirmed = await cli('rollback', ['--steps', '3']);
      assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
      assert.match(unconfirmed.stderr, /refusing to roll back without --yes/);
      assert.match(unconfirmed.stdout, /1\. contents\/themes\/t1\/entities\/tasks\/migrations\/002_task_priority\.sql/, 'the plan is listed first');
      // A path outside the project root: a usage error.
      const outside = await cli('rollback', ['--to', '../elsewhere/001_x.sql', '--yes']);
      assert.equal(outside.code, 2);
      assert.match(outside.stderr, /outside the project root/);
      assert.deepEqual(await state(), applied, 'a dry run, a refused or an unconfirmed rollback changed the database');

      // Three steps: the schema and the tracking rows are exactly as before those three.
      const undone = await rollback(['--steps', '3', '--yes']);
      assert.equal(undone.code, 0, undone.stderr + undone.stdout);
      assert.deepEqual(undone.doc.migrations.map((m) => m.status), ['rolled-back', 'rolled-back', 'rolled-back']);
      assert.deepEqual(await state(), before);
      const history = await cli('status', ['--history', '--json']);
      const entries = (JSON.parse(history.stdout) as { history: { action: string; filename: string }[] }).history;
      assert.deepEqual(
        entries.filter((e) => e.action === 'rollback').map((e) => e.filename).sort(),
        [CORE_2, PLUGIN_2, ENTITY_2].map((p) => path.basename(p)).sort(),
        'each undone migration left a history entry',
      );

      // Migrate after a rollback re-applies what was undone.
      const again = await cli('migrate', ['--json']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.path), [CORE_2, PLUGIN_2, ENTITY_2]);
      assert.deepEqual((await state()).catalog, applied.catalog);

      // --to FILE: everything applied after it is undone; the file itself stays applied.
      const to = await rollback(['--to', CORE_2, '--yes']);
      assert.equal(to.code, 0, to.stderr);
      assert.deepEqual(to.doc.migrations.map((m) => `${m.path} ${m.status}`), [`${ENTITY_2} rolled-back`, `${PLUGIN_2} rolled-back`]);

      // A failing down file: stops there with its place; it is rolled back (the row stays),
      // and what was undone before it stays undone.
      const reapplied = await cli('migrate', ['--json']);
      assert.deepEqual(reapplied.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.path), [PLUGIN_2, ENTITY_2], 'what --to undid, and only that');
      const withExtra = await state();
      writeFileSync(path.join(root, 'contents/plugins/p1/migrations/002_p1_extra.down.sql'), 'ALTER TABLE public.p1_things DROP COLUMN IF EXISTS extra;\nSELECT no_such_column FROM public.p1_things;\n');
      const failing = await cli('rollback', ['--steps', '3', '--yes']);
      assert.equal(failing.code, 1, failing.stderr);
      assert.match(failing.stderr, /ERROR 42703: .*\n {3}at contents\/plugins\/p1\/migrations\/002_p1_extra\.down\.sql:2:8\n/);
      assert.match(failing.stderr, /002_p1_extra\.sql stays applied/);
      assert.match(failing.stderr, /Not attempted, still applied: migrations\/002_audit\.sql\./);
      assert.match(failing.stderr, /Undone before it, and they stay undone: contents\/themes\/t1\/entities\/tasks\/migrations\/002_task_priority\.sql\./);
      const after = await state();
      assert.ok(after.catalog.some(([k]) => k === 'column public.p1_things.extra'), 'the failing down file was rolled back whole');
      assert.ok(!after.catalog.some(([k]) => k === 'column public.tasks.priority'), 'the step before it stays undone');
      assert.deepEqual(after.rows, withExtra.rows.filter((r) => !r.startsWith('_entity_migrations tasks 002_task_priority.sql ')));
    });

    test('db:new --down writes a down file that undoes what the template creates', async () => {
      const files = {
        ...BASE,
        // The template's policies are for the `authenticated` role (roles are per server: made if missing).
        'migrations/000_roles.sql': body('000_roles.sql', `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF; END $$;`),
        'contents/themes/t1/config/theme.config.ts': themeConfig([]),
        'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': body('001_create_tasks.sql', ...cleanTable('tasks')),
      };
      const { root, cli, rollback, state } = await setup(files);
      assert.equal((await cli('migrate')).code, 0);
      const before = await state();
      const table = await cli('new', ['add', 'invoices', '--theme', 't1', '--down']);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout, 'contents/themes/t1/migrations/001_add_invoices.sql\ncontents/themes/t1/migrations/001_add_invoices.down.sql\n');
      const column = await cli('new', ['add', 'labels', '--entity', 'tasks', '--theme', 't1', '--down']);
      assert.equal(column.code, 0, column.stderr);
      const [, columnDown] = column.stdout.trim().split('\n');
      assert.equal(columnDown, 'contents/themes/t1/entities/tasks/migrations/002_add_labels.down.sql');
      assert.match(readFileSync(path.join(root, columnDown!), 'utf8'), /^ALTER TABLE IF EXISTS "tasks" DROP COLUMN IF EXISTS "labels";$/m);
      const down = readFileSync(path.join(root, 'contents/themes/t1/migrations/001_add_invoices.down.sql'), 'utf8');
      for (const line of ['DROP TRIGGER IF EXISTS invoices_set_updated_at ON "invoices";', 'DROP POLICY IF EXISTS invoices_select_own ON "invoices";', 'DROP INDEX IF EXISTS idx_invoices_user_id;', 'DROP TABLE IF EXISTS "invoices";']) {
        assert.ok(down.includes(line), line);
      }
      const verify = await cli('verify', ['--no-db', '--json']);
      assert.deepEqual(JSON.parse(verify.stdout).findings, [], 'the new files and their down files pass db:verify');

      const migrated = await cli('migrate');
      assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
      assert.notDeepEqual((await state()).catalog, before.catalog);
      const undone = await rollback(['--steps', '2', '--yes']);
      assert.equal(undone.code, 0, undone.stderr + undone.stdout);
      assert.deepEqual(await state(), before);
    });
  });
}

const baseProject = baseProjects();

test('db:verify checks down files: syntax at line and column, idempotent forms, no transaction control, orphans', async () => {
  const root = baseProject({
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'contents/themes/t1/migrations/001_prefs.sql': body('001_prefs.sql', ...cleanTable('prefs')),
    'contents/themes/t1/migrations/001_prefs.down.sql': 'DROP TABLE IF EXISTS prefs;\nDROP TABLE prefs;\nBEGIN;\n',
    'contents/themes/t1/migrations/002_more.sql': body('002_more.sql', 'ALTER TABLE prefs ADD COLUMN IF NOT EXISTS x TEXT;'),
    'contents/themes/t1/migrations/002_more.down.sql': 'ALTER TABLE prefs DROP COLUMN IF EXISTS x;\nDROP INDEX IF EXISTS idx_x\n  , ;\n',
    'contents/themes/t1/migrations/003_gone.down.sql': 'DROP TABLE IF EXISTS gone;\n',
  });
  const run = await runCli(['verify', '--root', root, '--no-db', '--json', '--no-env-file'], { NEXT_PUBLIC_ACTIVE_THEME: 't1' });
  const doc = JSON.parse(run.stdout) as { findings: { rule: string; file: string; line: number; column: number; severity: string }[] };
  const found = doc.findings.map((f) => `${f.file.replace('contents/themes/t1/migrations/', '')}:${f.line}:${f.column} ${f.severity} ${f.rule}`);
  assert.deepEqual(found, [
    '001_prefs.down.sql:2:1 error idempotent',
    '001_prefs.down.sql:3:1 error transaction',
    '002_more.down.sql:3:5 error syntax',
    '003_gone.down.sql:1:1 warning down-file',
  ]);
  assert.equal(run.code, 1);
});

test('the rollback order: executed_at newest first, equal times in reverse engine order; --steps and --to select from it', () => {
  const files = ordered({
    'migrations/001_a.sql': 'SELECT 1;',
    'contents/themes/t1/migrations/001_b.sql': 'SELECT 1;',
    'contents/themes/t1/entities/tasks/migrations/001_c.sql': 'SELECT 1;',
  });
  const rowOf = (file: MigrationFile, executedAt: string): TrackedRow => ({ table: file.source.table, ...identityOfFile(file), checksum: file.checksum, checksumAlgorithm: 'sha256', executedAt });
  const [a, b, c] = files as [MigrationFile, MigrationFile, MigrationFile];
  const sources = files.map((f) => f.source);
  // b and c recorded in one transaction (a baseline): the engine's order decides, reversed.
  const rows = [rowOf(a, '2026-01-01 10:00:00.5'), rowOf(b, '2026-01-01 10:00:01'), rowOf(c, '2026-01-01 10:00:01')];
  const applied = appliedNewestFirst(files, rows, { sources });
  assert.deepEqual(applied.map((s) => s.file?.filename), ['001_c.sql', '001_b.sql', '001_a.sql']);
  assert.deepEqual(planRollback(applied, { steps: 2 }).steps.map((s) => s.file?.filename), ['001_c.sql', '001_b.sql']);
  assert.deepEqual(planRollback(applied, { to: a.path }).steps.map((s) => s.file?.filename), ['001_c.sql', '001_b.sql']);
  assert.deepEqual(planRollback(applied, { to: c.path }).steps, [], 'the newest file: nothing after it');
  // None of them has a down file: each step in range is a problem.
  assert.deepEqual(planRollback(applied, { steps: 1 }).problems.map((p) => p.file), [c.path]);
  assert.throws(() => planRollback(applied, { steps: 4 }), /--steps 4, but only 3 migrations are applied/);
  assert.throws(() => planRollback(applied, { to: 'migrations/009_nope.sql' }), /no applied migration/);
  assert.equal(planRollback([], { steps: 1 }).steps.length, 0, 'nothing applied: nothing to roll back');
});
