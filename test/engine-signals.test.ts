// Interruptions from outside a run: Ctrl-C and SIGTERM from the operator, a backend
// terminated by the server (an administrator, a restart). Each stops the running file
// whole (it and its tracking row are one transaction); the next run finishes the job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { backends, connectForTest, type TestClient } from './support/backends.js';
import { fixtureEnv, removeProject, repoRoot, runCli, themeConfig, writeProject } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;

const SLOW = 'CREATE TABLE half_done (id INT);\nSELECT pg_sleep(30);\nCREATE TABLE never_reached (id INT);\n';

function project(): string {
  return writeProject({
    'migrations/001_first.sql': 'CREATE TABLE first_table (id INT);\n',
    'migrations/002_slow.sql': SLOW,
    'migrations/003_after.sql': 'CREATE TABLE after_slow (id INT);\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  });
}

/** Starts a runner and resolves once it runs the slow file (its statement is on the server then). */
async function startAtSlowFile(root: string, url: string): Promise<{ child: ReturnType<typeof spawn>; output: () => string; exit: Promise<number | null> }> {
  const env = fixtureEnv(root, { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'run-migrations.mjs'), '--root', root, '--no-env-file', '--no-emoji'], { env });
  let out = '';
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('002_slow.sql')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d));
    void exit.then(() => reject(new Error(`runner exited before the slow file:\n${out}`)));
  });
  return { child, output: () => out, exit };
}

/** Waits until the slow statement is running on the server; returns its backend pid. */
async function slowBackend(client: TestClient): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const rows = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`);
    if (rows.rows[0]) return rows.rows[0].pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the slow statement never showed on the server');
}

/** The slow file made fast (the interrupted one was never recorded, so it may change): the next run applies it and what follows. */
async function nextRunFinishes(root: string, url: string): Promise<void> {
  writeFileSync(path.join(root, 'migrations/002_slow.sql'), SLOW.replace('pg_sleep(30)', 'pg_sleep(0)'));
  const rerun = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
  assert.equal(rerun.code, 0, JSON.stringify(rerun.json?.error));
  assert.deepEqual(rerun.json!.migrations.map((m) => m.status), ['skipped', 'applied', 'applied']);
}

async function recorded(client: TestClient): Promise<string[]> {
  return (await client.query<{ filename: string }>('SELECT filename FROM _migrations ORDER BY id')).rows.map((r) => r.filename);
}

async function tables(client: TestClient): Promise<string[]> {
  return (await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY 1`)).rows.map((r) => r.t);
}

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during a file: its statement is cancelled on the server, the file rolls back unrecorded, exit ${status}; the next run finishes`, async (t) => {
    if (server.skipReason) return t.skip(server.skipReason);
    const db = await server.createDatabase();
    const root = project();
    const client = await connectForTest(db.url);
    try {
      const runner = await startAtSlowFile(root, db.url);
      const pid = await slowBackend(client);
      runner.child.kill(signal);
      const code = await runner.exit;
      assert.equal(code, status, runner.output());
      assert.match(runner.output(), /002_slow\.sql/);
      // A cancel request, not a closed socket: the backend is idle again (or gone) at once,
      // not still sleeping for the rest of its 30 s.
      const still = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%pg_sleep(30)%'`, [pid]);
      assert.equal(still.rows[0]!.n, 0, 'the slow statement was cancelled on the server');
      assert.deepEqual(await recorded(client), ['001_first.sql']);
      assert.deepEqual(await tables(client), ['first_table'], 'nothing of the interrupted file, nothing after it');

      await nextRunFinishes(root, db.url);
    } finally {
      await client.close();
      removeProject(root);
      await db.drop();
    }
  });
}

test('a backend terminated by the server mid-file: a clear error naming the file, exit 1, not recorded; the next run finishes', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const root = project();
  const client = await connectForTest(db.url);
  try {
    const runner = await startAtSlowFile(root, db.url);
    const pid = await slowBackend(client);
    await client.query('SELECT pg_terminate_backend($1)', [pid]);
    const code = await runner.exit;
    assert.equal(code, 1, runner.output());
    assert.match(runner.output(), /002_slow\.sql/, 'the error names the file');
    assert.match(runner.output(), /terminat|connection/i, 'the error says the connection ended');
    assert.deepEqual(await recorded(client), ['001_first.sql']);
    assert.deepEqual(await tables(client), ['first_table']);

    await nextRunFinishes(root, db.url);
  } finally {
    await client.close();
    removeProject(root);
    await db.drop();
  }
});
