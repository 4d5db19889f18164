// verify --isolation against a configured database with pending files: the matrix
// of the database as it is (its applied files replayed on a shadow) against the
// matrix after the pending files; each widened access is an error naming the
// pending file, unless that file says `-- verify:ignore isolation <reason>`. And
// the database checks' findings silenced by the same directives as static ones.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addFiles, repoRoot, themeConfig, writeProject } from './support/project.js';
import { backends } from './support/backends.js';
import { baseProjects, body, cleanTable, header } from './fixtures/verify/helpers.js';
import { verify } from '../src/api/verify.js';
import { migrate } from '../src/api/migrate.js';
import { jsonReport } from '../src/verify/report.js';
import { humanReport } from '../src/cli/reporters/verify.js';
import { makeStyle } from '../src/cli/reporters/style.js';
import type { Finding } from '../src/verify/types.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A project holding a copy of the shipped schema (core, themes, plugins), whatever its files are. */
function shippedProject(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tm-iso-'));
  roots.push(root);
  cpSync(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  cpSync(path.join(repoRoot, 'contents'), path.join(root, 'contents'), { recursive: true });
  return root;
}

const PENDING = 'contents/themes/default/entities/tasks/migrations/900_share_tasks.sql';
const WIDENING = [
  'DROP POLICY IF EXISTS tasks_shared ON "tasks";',
  'CREATE POLICY tasks_shared ON "tasks" FOR SELECT TO authenticated USING (true);',
  'GRANT SELECT ON "tasks" TO anon;',
];
const REASON = 'tasks are shared with every signed-in user on purpose';
/** The pending file; `ignore` puts a file-wide directive in its header (set apart by a blank line). */
const pendingFile = (ignore: boolean) => `${header('900_share_tasks.sql')}${ignore ? `-- verify:ignore isolation ${REASON}\n` : ''}\n${WIDENING.join('\n')}\n`;
const errors = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'error');

for (const backend of backends) {
  // The ignore half does not depend on the database: run once, on PGlite.
  const withIgnore = backend.name === 'pglite';
  test(`--isolation against a ${backend.name} database: a pending USING (true) and a grant to anon are widenings naming the file${withIgnore ? '; its verify:ignore isolation silences them' : ''}`, { skip: backend.skipReason ?? false }, async () => {
    const db = await backend.createDatabase();
    try {
      const root = shippedProject();
      const options = { root, theme: 'default', coreDir: 'migrations', database: db.url };
      const migrated = await migrate({ ...options, sampleData: true });
      assert.equal(migrated.ok, true, JSON.stringify(migrated.error));

      addFiles(root, { [PENDING]: pendingFile(false) });
      const report = await verify({ ...options, isolation: true });
      assert.equal(report.ok, false);
      assert.deepEqual(report.isolation?.pending, [PENDING]);
      const widened = report.isolation!.widened.map((w) => `${w.file} ${w.role} ${w.command} ${w.table}: ${w.before} → ${w.after}`);
      assert.ok(widened.includes(`${PENDING} authenticated SELECT tasks: own 1 · others 0 → own 1 · others 1`), widened.join('\n'));
      assert.ok(widened.includes(`${PENDING} anon SELECT tasks: denied (grant) → 0 rows`), widened.join('\n'));
      // Placed at the file's first statement on tasks' access (the DROP POLICY, line 5).
      const messages = report.findings.filter((f) => f.rule === 'isolation' && f.file === PENDING).map((f) => `${f.line} ${f.message}`);
      assert.ok(messages.some((m) => /^5 authenticated can now SELECT tasks of other users \(own 1 · others 0 → own 1 · others 1/.test(m)), messages.join('\n'));
      assert.ok(messages.some((m) => /^5 anon can now SELECT tasks \(denied \(grant\) → 0 rows/.test(m)), messages.join('\n'));
      // The absolute check of the fresh shadow sees the leak too (at the table's CREATE).
      assert.ok(report.findings.some((f) => f.rule === 'isolation' && f.file !== PENDING && /user A sees 1 row\(s\) of tasks/.test(f.message)), JSON.stringify(report.findings));
      const human = humanReport(report, makeStyle(false), false).join('\n');
      assert.match(human, /🔓 Isolation of .* before and after its 1 pending file: \d+ accesses widened/);
      assert.ok(human.includes(`   ${PENDING}: anon can now SELECT tasks (denied (grant) → 0 rows)`), human);
      assert.deepEqual(JSON.parse(jsonReport(report, false)).isolation.widened[0], { ...report.isolation!.widened[0] });
      if (!withIgnore) return;

      // Said on purpose: the widenings and the absolute leaks of tasks are silenced, each with the reason.
      addFiles(root, { [PENDING]: pendingFile(true) });
      const quiet = await verify({ ...options, isolation: true });
      assert.deepEqual(errors(quiet.findings), []);
      assert.equal(quiet.ok, true);
      assert.deepEqual(quiet.isolation?.widened, []);
      const silenced = quiet.suppressed.filter((s) => s.rule === 'isolation');
      assert.ok(silenced.some((s) => s.file === PENDING && /anon can now SELECT tasks/.test(s.message)), JSON.stringify(silenced));
      assert.ok(silenced.some((s) => s.file !== PENDING && /user A sees 1 row\(s\) of tasks/.test(s.message)), JSON.stringify(silenced));
      assert.ok(silenced.every((s) => s.reason === REASON));
      assert.deepEqual(quiet.unusedDirectives, []);
      const verbose = humanReport(quiet, makeStyle(false), true).join('\n');
      assert.match(verbose, /Silenced on purpose[\s\S]*isolation {2}anon can now SELECT tasks[\s\S]*reason: tasks are shared with every signed-in user on purpose/);
      assert.match(verbose, /🔓 Isolation of .*: no access widened/);
    } finally {
      await db.drop();
    }
  });
}

test('verify:ignore silences a database check finding (idempotency, above its statement) and not the file next to it', async () => {
  const project = baseProjects();
  const policyTwice = 'CREATE POLICY notes_write ON "notes" FOR INSERT WITH CHECK ("userId" = public.get_auth_user_id());';
  const root = project({
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
    'contents/themes/t1/migrations/001_ignored.sql': body('001_ignored.sql', '-- verify:ignore idempotency the engine never runs a file twice here', policyTwice),
    'contents/themes/t1/migrations/002_kept.sql': body('002_kept.sql', policyTwice.replace(/notes_write/g, 'notes_write2')),
  });
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, idempotency: true });
  assert.deepEqual(
    report.findings.filter((f) => f.rule === 'idempotency').map((f) => f.file),
    ['contents/themes/t1/migrations/002_kept.sql'],
    JSON.stringify(report.findings),
  );
  assert.deepEqual(
    report.suppressed.filter((s) => s.rule === 'idempotency').map((s) => [s.file, s.line, s.reason]),
    [['contents/themes/t1/migrations/001_ignored.sql', 5, 'the engine never runs a file twice here']],
  );
  assert.deepEqual(report.unusedDirectives, []);
  assert.deepEqual(report.findings.filter((f) => f.rule === 'verify-ignore'), [], 'idempotency is a rule a directive may name');
});

test('widenedCells: only a reach that grows is widened; a table with no before is new, not widened', async () => {
  const { widenedCells, describeWidening } = await import('../src/verify/shadow/isolation-diff.js');
  const cell = (table: string, role: string, command: 'SELECT' | 'UPDATE', reach: 0 | 1 | 2) => ({ table, role, command, reach, shown: String(reach) });
  const before = [cell('tasks', 'anon', 'SELECT', 0), cell('tasks', 'user A', 'UPDATE', 1), cell('notes', 'user A', 'SELECT', 2)];
  const after = [cell('tasks', 'anon', 'SELECT', 1), cell('tasks', 'user A', 'UPDATE', 2), cell('notes', 'user A', 'SELECT', 1), cell('fresh_table', 'anon', 'SELECT', 2)];
  assert.deepEqual(
    widenedCells(before, after).map((w) => describeWidening(w.after)),
    ['anon can now SELECT tasks', 'authenticated can now UPDATE tasks of other users'],
  );
});

test('--isolation on a schema with no "user" table: its owned tables are listed as not probed, and the probe does not fail', async () => {
  const root = writeProject({
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'migrations/001_no_user.sql': body(
      '001_no_user.sql',
      `CREATE OR REPLACE FUNCTION public.get_auth_user_id() RETURNS TEXT LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.user_id', true), '') $$;`,
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF; END $$;`,
      'CREATE TABLE IF NOT EXISTS "notes" (id TEXT PRIMARY KEY, "userId" TEXT NOT NULL);',
      'ALTER TABLE "notes" ENABLE ROW LEVEL SECURITY;',
      'DROP POLICY IF EXISTS notes_own ON "notes";',
      'CREATE POLICY notes_own ON "notes" USING ("userId" = public.get_auth_user_id());',
    ),
  });
  roots.push(root);
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, isolation: true });
  assert.deepEqual(report.shadow?.setups[0]?.isolation?.notProbed, [{ table: 'notes', reason: 'there is no "user" table to own rows' }], JSON.stringify(report.findings));
});
