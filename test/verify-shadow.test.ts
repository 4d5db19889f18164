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
