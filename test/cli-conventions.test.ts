// The command line's conventions: --version, unknown flags, status --exit-code,
// DIRECT_URL precedence, --quiet on 2,000 files, --no-emoji, JSON version fields,
// and Next.js's own .env precedence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends } from './support/backends.js';
import { removeProject, repoRoot, runCli, themeConfig, writeProject } from './support/project.js';
import { loadEnvFiles } from '../src/api/env-files.js';

const server = backends.find((b) => b.name === 'postgres')!;
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const project = () =>
  writeProject({
    'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS init_table (id INT);\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'contents/themes/t1/migrations/001_theme.sql': 'CREATE TABLE IF NOT EXISTS theme_table (id INT);\n',
  });

test('--version and -v print the package version', async () => {
  for (const flag of ['--version', '-v']) {
    const run = await runCli([flag], {});
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), version);
  }
});

test('an unknown flag or a missing value: our message, the usage line, exit 2', async () => {
  const unknown = await runCli(['status', '--frobnicate'], {});
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --frobnicate/);
  assert.match(unknown.stderr, /Usage: tiered-migrate status \[--root ROOT\]/);
  assert.doesNotMatch(unknown.stderr, /To specify a positional argument/, 'the argument parser\'s own text');
  const missing = await runCli(['migrate', '--theme'], {});
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--theme needs a value/);
  // status does not take migrate's options.
  const wrong = await runCli(['status', '--dry-run'], {});
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /unknown option --dry-run/);
});

test('status --exit-code: 1 while anything is pending, 0 when current; without the flag always 0', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  const root = project();
  try {
    const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    assert.equal((await runCli(['status', '--root', root, '--no-env-file'], env)).code, 0);
    assert.equal((await runCli(['status', '--root', root, '--no-env-file', '--exit-code'], env)).code, 1);
    assert.equal((await runCli(['migrate', '--root', root, '--no-env-file'], env)).code, 0);
    const current = await runCli(['status', '--root', root, '--no-env-file', '--exit-code'], env);
    assert.equal(current.code, 0, current.stdout + current.stderr);
    // status shows when each file was applied and how long it took.
    assert.match(current.stdout, /applied\s+migrations\/001_init\.sql\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · [\d.]+ ms/);
    const doc = (await runCli(['status', '--root', root, '--no-env-file', '--json'], env)).json!;
    const row = doc.migrations.find((m) => m.filename === '001_init.sql') as unknown as { appliedAt: string | null; durationMs: number | null };
    assert.match(row.appliedAt ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    assert.equal(typeof row.durationMs, 'number');
  } finally {
    removeProject(root);
    await db.drop();
  }
});

test('DIRECT_URL: after MIGRATE_DATABASE_URL, before DATABASE_URL; the start line names the variable', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  const root = project();
  const nowhere = 'postgres://nobody:x@127.0.0.1:1/none';
  try {
    const direct = await runCli(['migrate', '--root', root, '--no-env-file'], { DATABASE_URL: nowhere, DIRECT_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(direct.code, 0, direct.stdout + direct.stderr);
    assert.match(direct.stdout, /\(from DIRECT_URL\)/);
    const owner = await runCli(['status', '--root', root, '--no-env-file'], { MIGRATE_DATABASE_URL: db.url, DIRECT_URL: nowhere, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(owner.code, 0, owner.stdout + owner.stderr);
    assert.match(owner.stdout, /\(from MIGRATE_DATABASE_URL\)/);
    const app = await runCli(['status', '--root', root, '--no-env-file'], { DIRECT_URL: nowhere, DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(app.code, 2, 'DIRECT_URL wins over DATABASE_URL, and it points nowhere');
  } finally {
    removeProject(root);
    await db.drop();
  }
});

test('--quiet: a no-op run of 2,000 files prints a few lines; --no-emoji prints no emoji', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  const files: Record<string, string> = { 'contents/themes/t1/config/theme.config.ts': themeConfig([]) };
  for (let i = 1; i <= 2000; i++) files[`migrations/${String(i).padStart(4, '0')}_step.sql`] = `SELECT ${i};\n`;
  const root = writeProject(files);
  try {
    const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    const first = await runCli(['migrate', '--root', root, '--no-env-file', '--quiet'], env);
    assert.equal(first.code, 0, first.stderr);
    const again = await runCli(['migrate', '--root', root, '--no-env-file', '--quiet'], env);
    assert.equal(again.code, 0, again.stderr);
    const lines = `${again.stdout}${again.stderr}`.split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length < 15, `quiet printed ${lines.length} lines:\n${lines.slice(0, 20).join('\n')}`);
    assert.ok(lines.some((l) => /Already applied: 2000/.test(l)), 'the summary is printed');
    const loud = await runCli(['migrate', '--root', root, '--no-env-file'], env);
    assert.ok(loud.stdout.split('\n').length > 2000, 'without --quiet every file has its line');
    const plain = await runCli(['status', '--root', root, '--no-env-file', '--quiet', '--no-emoji'], env);
    assert.equal(plain.code, 0);
    assert.doesNotMatch(plain.stdout + plain.stderr, /\p{Extended_Pictographic}/u);
    assert.match(plain.stdout, /2000 applied, 0 pending/);
  } finally {
    removeProject(root);
    await db.drop();
  }
});

test('every JSON document carries the tool version and its schemaVersion', async () => {
  const root = project();
  try {
    const migrate = await runCli(['migrate', '--root', root, '--no-env-file', '--json', '--dry-run'], { DATABASE_URL: 'pglite:memory', NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    const doc = JSON.parse(migrate.stdout) as { version: string; schemaVersion: number; command: string };
    assert.deepEqual([doc.version, doc.schemaVersion, doc.command], [version, 1, 'migrate']);
    const verify = await runCli(['verify', '--root', root, '--no-env-file', '--json', '--no-db', '--theme', 't1'], {});
    const vdoc = JSON.parse(verify.stdout) as { version: string; schemaVersion: number };
    assert.deepEqual([vdoc.version, vdoc.schemaVersion], [version, 1]);
    const bad = await runCli(['migrate', '--root', root, '--no-env-file', '--json'], { DATABASE_URL: 'mysql://x', NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(bad.code, 2);
    assert.equal((JSON.parse(bad.stdout) as { version: string }).version, version, 'a configuration error too');
  } finally {
    removeProject(root);
  }
});

test('.env files are read by Next.js\'s own loader: its files, its precedence, $VAR; the process environment is untouched', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tm-env-'));
  writeFileSync(path.join(root, '.env'), 'A=env\nB=env\nC=env\nHOST=db.example\nURL=postgres://u@$HOST/app\n');
  writeFileSync(path.join(root, '.env.development'), 'B=development\n');
  writeFileSync(path.join(root, '.env.production'), 'B=production\n');
  writeFileSync(path.join(root, '.env.local'), 'C=local\n');
  writeFileSync(path.join(root, '.env.production.local'), 'C=production.local\n');
  const before = JSON.stringify(process.env);

  const dev: Record<string, string | undefined> = { A: 'process' };
  assert.deepEqual(loadEnvFiles(root, dev), ['.env.local', '.env.development', '.env']);
  assert.deepEqual([dev.A, dev.B, dev.C, dev.URL], ['process', 'development', 'local', 'postgres://u@db.example/app']);

  const prod: Record<string, string | undefined> = { NODE_ENV: 'production', HOST: 'override.example' };
  assert.deepEqual(loadEnvFiles(root, prod), ['.env.production.local', '.env.local', '.env.production', '.env']);
  assert.deepEqual([prod.B, prod.C, prod.URL], ['production', 'production.local', 'postgres://u@override.example/app']);

  const testMode: Record<string, string | undefined> = { NODE_ENV: 'test' };
  loadEnvFiles(root, testMode);
  assert.equal(testMode.C, 'env', '.env.local is not read when NODE_ENV=test');
  assert.equal(JSON.stringify(process.env), before, 'process.env is left as it was');
  removeProject(root);
});
