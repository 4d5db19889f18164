// db:verify as users run it: a child process on fixture projects (and on this
// repository's own migrations), checked through its exit code, JSON and text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runCli, themeConfig } from './support/project.js';
import { baseProjects, body, cleanTable } from './fixtures/verify/helpers.js';

const project = baseProjects();

const THEMES = {
  'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
  'contents/themes/t2/config/theme.config.ts': themeConfig([]),
  'contents/plugins/p1/migrations/001_p1.sql': body('001_p1.sql', ...cleanTable('p1_items')),
};
/** One error (no IF NOT EXISTS) and one warning (no trigger) in one file. */
const FLAWED = {
  'migrations/002_flawed.sql': body(
    '002_flawed.sql',
    'CREATE TABLE notes (id TEXT PRIMARY KEY, "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(), "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now());',
    'ALTER TABLE notes ENABLE ROW LEVEL SECURITY;',
    'DROP POLICY IF EXISTS notes_all ON notes;',
    'CREATE POLICY notes_all ON notes USING (true);',
  ),
};
const verify = (root: string, args: string[], env: Record<string, string> = {}) => runCli(['verify', '--root', root, '--no-env-file', ...args], env);

test("the repository's own migrations pass with no errors and no warnings, every theme and plugin", async () => {
  const run = await runCli(['verify', '--root', repoRoot, '--all', '--no-db', '--json', '--no-env-file'], {});
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.deepEqual(doc.findings, []);
  assert.deepEqual(doc.summary, { errors: 0, warnings: 0, files: 0 });
  assert.ok(doc.checked >= 10, `checked ${doc.checked} files`);
  assert.ok(doc.setups.some((s: string) => s.startsWith('theme default')));
});

test('--json prints exactly the documented shape', async () => {
  const root = project({ ...THEMES, ...FLAWED });
  const run = await verify(root, ['--theme', 't1', '--json']);
  assert.equal(run.code, 1);
  const doc = JSON.parse(run.stdout);
  // The documented keys lead; version and schemaVersion follow them.
  assert.deepEqual(Object.keys(doc).slice(0, 3), ['ok', 'findings', 'summary']);
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.summary, { errors: 1, warnings: 1, files: 1 });
  for (const f of doc.findings) {
    assert.deepEqual(Object.keys(f), ['rule', 'severity', 'file', 'line', 'column', 'message', 'fix']);
    assert.equal(typeof f.message, 'string');
    assert.equal(typeof f.fix, 'string');
  }
  assert.deepEqual(
    doc.findings.map((f: { rule: string; severity: string; file: string; line: number; column: number }) => `${f.severity} ${f.rule} ${f.file}:${f.line}:${f.column}`),
    ['error idempotent migrations/002_flawed.sql:4:1', 'warning updated-at migrations/002_flawed.sql:4:90'],
  );
  assert.equal(doc.database, null);
});

test('exit codes: 0 clean or warnings only, 1 with --strict or errors, 2 for usage and configuration', async () => {
  const clean = project(THEMES);
  assert.equal((await verify(clean, ['--theme', 't1'])).code, 0);
  const warned = project({
    ...THEMES,
    'migrations/002_warn.sql': body('002_warn.sql', ...cleanTable('notes').filter((l) => !l.includes('TRIGGER'))),
  });
  const loose = await verify(warned, ['--theme', 't1']);
  assert.equal(loose.code, 0, loose.stdout);
  assert.match(loose.stdout, /0 errors, 1 warning in 1 file\n$/);
  assert.equal((await verify(warned, ['--theme', 't1', '--strict'])).code, 1);
  assert.equal((await verify(project({ ...THEMES, ...FLAWED }), ['--theme', 't1'])).code, 1);

  assert.equal((await verify(clean, ['--theme', 't1', '--bogus'])).code, 2);
  assert.equal((await verify(clean, ['--theme', 't1', 'extra'])).code, 2);
  assert.equal((await verify(clean, ['--theme', 'nope'])).code, 2);
  assert.equal((await verify(clean, [])).code, 2, 'no active theme');
  assert.equal((await verify(clean, ['--theme', 't1'], { DATABASE_URL: 'mysql://x@y/z' })).code, 2);
  const missing = path.join(clean, 'no-such-db');
  const pgliteRun = await verify(clean, ['--theme', 't1'], { DATABASE_URL: `pglite:${missing}` });
  assert.equal(pgliteRun.code, 2);
  assert.match(pgliteRun.stderr, /holds no embedded database/);
  assert.equal(existsSync(missing), false, 'verify must not create a database');
  const json = await verify(clean, ['--theme', 'nope', '--json']);
  assert.equal(json.code, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'THEME_NOT_FOUND');
});

test('human output: findings grouped by file with their fix, then one summary line', async () => {
  const root = project({ ...THEMES, ...FLAWED });
  const run = await verify(root, ['--theme', 't1']);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines[lines.length - 1], '❌ 1 error, 1 warning in 1 file');
  const fileLine = lines.indexOf('migrations/002_flawed.sql');
  assert.ok(fileLine > 0, run.stdout);
  assert.match(lines[fileLine + 1]!, /^ {2}4:1 +error +idempotent +CREATE TABLE "notes" without IF NOT EXISTS/);
  assert.match(lines[fileLine + 2]!, /→ Write CREATE TABLE IF NOT EXISTS "notes"\./);
  assert.match(lines[fileLine + 3]!, /^ {2}4:90 +warning +updated-at/);
  assert.match(run.stdout, /Database not checked: no MIGRATE_DATABASE_URL, DIRECT_URL or DATABASE_URL/);
});

test('--verbose lists silenced findings with their reasons', async () => {
  const root = project({
    ...THEMES,
    'migrations/002_ok.sql': body('002_ok.sql', '-- verify:ignore idempotent created once by the ops team', 'CREATE TABLE jobs (id TEXT);', '-- verify:ignore rls internal queue, never exposed', 'ALTER TABLE jobs ADD COLUMN IF NOT EXISTS x TEXT;'),
  });
  const quiet = await verify(root, ['--theme', 't1']);
  assert.doesNotMatch(quiet.stdout, /ops team/);
  const run = await verify(root, ['--theme', 't1', '--verbose']);
  assert.match(run.stdout, /reason: created once by the ops team/);
  assert.match(run.stdout, /migrations\/002_ok\.sql:6:1 +verify:ignore rls \(internal queue, never exposed\)/, 'a directive above the wrong statement silences nothing');
  const json = JSON.parse((await verify(root, ['--theme', 't1', '--verbose', '--json'])).stdout);
  assert.deepEqual(
    json.suppressed.map((s: { rule: string; reason: string }) => `${s.rule}: ${s.reason}`),
    ['idempotent: created once by the ops team'],
  );
});

test('--all checks every theme and plugin, and says which setup a corpus finding holds in', async () => {
  const root = project({
    ...THEMES,
    // Only t1 uses p1, and only p1 secures the core table "shared".
    'migrations/002_shared.sql': body('002_shared.sql', 'CREATE TABLE IF NOT EXISTS shared (id TEXT PRIMARY KEY, "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now());'),
    'contents/plugins/p1/migrations/002_secure.sql': body('002_secure.sql', 'ALTER TABLE shared ENABLE ROW LEVEL SECURITY;', 'DROP POLICY IF EXISTS s ON shared;', 'CREATE POLICY s ON shared USING (true);'),
    'contents/plugins/lonely/migrations/001_x.sql': 'CREATE TABLE x (id TEXT);\n',
  });
  const t1 = JSON.parse((await verify(root, ['--theme', 't1', '--json'])).stdout);
  assert.deepEqual(t1.findings.filter((f: { rule: string }) => f.rule === 'rls'), []);
  const run = await verify(root, ['--all', '--json']);
  const doc = JSON.parse(run.stdout);
  assert.deepEqual(doc.setups, ['theme t1 (plugins p1)', 'theme t2', 'plugin lonely (in no theme)']);
  const rls = doc.findings.filter((f: { rule: string; file: string }) => f.rule === 'rls' && f.file === 'migrations/002_shared.sql');
  assert.equal(rls.length, 1);
  assert.match(rls[0].message, /\(with theme t2; plugin lonely \(in no theme\)\)$/);
  assert.ok(doc.findings.some((f: { file: string; rule: string }) => f.file === 'contents/plugins/lonely/migrations/001_x.sql' && f.rule === 'idempotent'));
  assert.equal(run.code, 1);
});

test('the active theme comes from the env files unless --no-env-file', async () => {
  const root = project({ ...THEMES, '.env': 'NEXT_PUBLIC_ACTIVE_THEME=t2\n' });
  const withEnv = await runCli(['verify', '--root', root, '--json'], {});
  assert.equal(withEnv.code, 0, withEnv.stderr);
  assert.deepEqual(JSON.parse(withEnv.stdout).setups, ['theme t2']);
  assert.equal((await verify(root, [])).code, 2);
});

test('a password in DATABASE_URL is never printed', async () => {
  const root = project(THEMES);
  const run = await verify(root, ['--theme', 't1'], { DATABASE_URL: 'postgres://someone:s3cretPassw0rd@127.0.0.1:1/nothing' });
  assert.equal(run.code, 2);
  assert.doesNotMatch(run.stdout + run.stderr, /s3cretPassw0rd/);
  assert.match(run.stderr, /cannot connect/);
});
