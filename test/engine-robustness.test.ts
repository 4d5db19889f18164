// The embedded default, killed runs and secrets: what production throws at a runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { backends, connectForTest } from './support/backends.js';
import { fixtureEnv, removeProject, repoRoot, runCli, themeConfig, writeProject } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;
const pglite = backends.find((b) => b.name === 'pglite')!;

test('with no DATABASE_URL the embedded database lives in <root>/.pglite, is announced, and persists across runs', async (t) => {
  if (pglite.skipReason) return t.skip(pglite.skipReason);
  const root = writeProject({
    'migrations/001_init.sql': 'CREATE TABLE kept (id INT);\nINSERT INTO kept VALUES (1);\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    '.env': 'NEXT_PUBLIC_ACTIVE_THEME=t1\n',
  });
  try {
    const first = await runCli(['migrate', '--root', root], {});
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`Embedded database \\(PGlite\\): ${path.join(root, '.pglite').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(first.stdout, /Successfully executed 001_init\.sql/);
    assert.ok(existsSync(path.join(root, '.pglite', 'PG_VERSION')));
    const second = await runCli(['migrate', '--root', root, '--json'], {});
    assert.equal(second.code, 0);
    assert.deepEqual(second.json!.migrations.map((m) => m.status), ['skipped']);
    const client = await connectForTest(`pglite:${path.join(root, '.pglite')}`);
    const rows = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM kept');
    await client.close();
    assert.equal(rows.rows[0]!.n, 1);
  } finally {
    removeProject(root);
  }
});

test('a runner killed in the middle of a file leaves nothing of it; the next run applies it', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const root = writeProject({
    'migrations/001_first.sql': 'CREATE TABLE first_table (id INT);\n',
    'migrations/002_slow.sql': 'CREATE TABLE half_done (id INT);\nSELECT pg_sleep(30);\nCREATE TABLE never_reached (id INT);\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  });
  try {
    const env = fixtureEnv(root, { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'run-migrations.mjs'), '--root', root, '--no-env-file'], { env });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Running 002_slow.sql')) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const client = await connectForTest(db.url);
    // The server notices the dead connection and rolls its transaction back.
    let tables: string[] = [];
    for (let i = 0; i < 50; i++) {
      const active = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`);
      if (active.rows[0]!.n === 0) break;
      await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`);
      await new Promise((r) => setTimeout(r, 100));
    }
    tables = (await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
    const recorded = (await client.query<{ filename: string }>('SELECT filename FROM _migrations ORDER BY id')).rows.map((r) => r.filename);
    await client.close();
    assert.ok(!tables.includes('half_done'), 'nothing of the killed file stays');
    assert.deepEqual(recorded, ['001_first.sql']);

    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(root, 'migrations/002_slow.sql'), 'CREATE TABLE half_done (id INT);\nSELECT pg_sleep(0);\nCREATE TABLE never_reached (id INT);\n');
    // The edit is allowed: the killed file was never recorded.
    const rerun = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(rerun.code, 0, JSON.stringify(rerun.json?.error));
    assert.deepEqual(rerun.json!.migrations.map((m) => m.status), ['skipped', 'applied']);
  } finally {
    removeProject(root);
    await db.drop();
  }
});

test('passwords never appear in output: not on success, not in connection errors', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const root = writeProject({
    'migrations/001_init.sql': 'SELECT 1;\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  });
  const password = 'Sup3r-Secret-Pa55';
  try {
    // Nothing listens on port 1: the driver's error must not carry the password either.
    for (const args of [['migrate', '--json'], ['migrate'], ['status']]) {
      const run = await runCli([...args, '--root', root, '--no-env-file'], {
        DATABASE_URL: `postgres://app:${password}@127.0.0.1:1/app?sslmode=disable`,
        NEXT_PUBLIC_ACTIVE_THEME: 't1',
      });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(password), `password leaked by ${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(`${run.stdout}${run.stderr}`, /cannot connect to postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/app/);
    }
    const db = await server.createDatabase();
    try {
      const url = new URL(db.url);
      url.password = password; // trust or the right password: either way it must not be printed
      const real = new URL(db.url);
      const run = await runCli(['migrate', '--root', root, '--no-env-file'], {
        DATABASE_URL: real.password ? db.url : url.toString(),
        NEXT_PUBLIC_ACTIVE_THEME: 't1',
      });
      assert.equal(run.code, 0, run.stderr);
      const secret = real.password || password;
      assert.ok(!`${run.stdout}${run.stderr}`.includes(`:${secret}@`));
      assert.match(run.stdout, /Connected to database postgres:\/\/[^:]+:\*\*\*@/);
    } finally {
      await db.drop();
    }
  } finally {
    removeProject(root);
  }
});
