// End-to-end: `tiered-migrate dev` on a fixture project. The served database is
// reached with a real pg.Client and with psql; saved files are applied while it
// serves; an edited applied file is reported, not applied; a second client waits
// for the first; Ctrl-C exits 0 and leaves the data in .pglite.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { addFiles, fixtureEnv, removeProject, repoRoot, runCli, themeConfig, writeProject } from './support/project.js';
import { ResponseTail, SSL_REQUEST, isStartupMessage, nextPacket, queryMessage, requestCode, startupParameters } from '../src/dev/wire.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const files = {
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS "user" (id TEXT PRIMARY KEY, email TEXT);\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  'contents/themes/t1/migrations/001_prefs.sql': "CREATE TABLE IF NOT EXISTS prefs (id INT PRIMARY KEY, name TEXT);\nINSERT INTO prefs VALUES (1, 'migrated') ON CONFLICT DO NOTHING;\n",
};

describe('dev: wire-protocol framing (pure)', () => {
  test('untyped packets before the startup message, typed messages after it, split anywhere', () => {
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(SSL_REQUEST, 4);
    const body = Buffer.from('user\0postgres\0database\0app\0\0');
    const startup = Buffer.concat([Buffer.alloc(8), body]);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    const first = nextPacket(Buffer.concat([ssl, startup.subarray(0, 3)]), false)!;
    assert.equal(requestCode(first.packet), SSL_REQUEST);
    assert.equal(nextPacket(first.rest, false), null, 'an incomplete packet waits for more bytes');
    const second = nextPacket(Buffer.concat([first.rest, startup.subarray(3)]), false)!;
    assert.ok(isStartupMessage(requestCode(second.packet)));
    assert.deepEqual(startupParameters(second.packet), { user: 'postgres', database: 'app' });
    const q = queryMessage('select 1');
    const split = nextPacket(Buffer.concat([q, q.subarray(0, 4)]), true)!;
    assert.deepEqual(split.packet, q);
    assert.equal(nextPacket(split.rest, true), null);
    assert.throws(() => nextPacket(Buffer.from([0x51, 0, 0, 0, 1]), true), /invalid message length/);
  });

  test('the transaction state is read from a response ending in ReadyForQuery, across chunks', () => {
    const tail = new ResponseTail();
    tail.push(Buffer.from([0x43, 0, 0, 0, 9, 0x42, 0x45, 0x47, 0x49, 0x4e, 0, 0x5a, 0, 0]));
    assert.equal(tail.readyStatus(), null);
    tail.push(Buffer.from([0, 5, 0x54]));
    assert.equal(tail.readyStatus(), 'T');
    tail.reset();
    tail.push(Buffer.from([0x31, 0, 0, 0, 4])); // ParseComplete alone: no ReadyForQuery yet
    assert.equal(tail.readyStatus(), null);
  });
});

describe('dev: the embedded database served over the PostgreSQL protocol', { concurrency: false }, () => {
  let root = '';
  let child: ChildProcess;
  let output = '';
  let url = '';
  const exited = new Promise<number | null>((resolve) => {
    before(async () => {
      root = writeProject(files);
      child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'db.mjs'), 'dev', '--root', root, '--port', '0', '--no-env-file'], {
        env: fixtureEnv(root, { NEXT_PUBLIC_ACTIVE_THEME: 't1' }),
        cwd: repoRoot,
      });
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve(code));
      url = await until('the DATABASE_URL line', () => /DATABASE_URL=(\S+)/.exec(output)?.[1], 60_000);
    });
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    removeProject(root);
  });
  const port = () => new URL(url).port;
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const tableExists = async (name: string) => {
    const client = await connect();
    try {
      return (await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]!.t !== null;
    } finally {
      await client.end();
    }
  };

  test('migrates at start, prints the URL, and a pg.Client queries a migrated table', async () => {
    assert.match(url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    assert.match(output, /001_prefs\.sql executed successfully/);
    const client = await connect();
    try {
      const { rows } = await client.query('SELECT id, name FROM prefs WHERE id = $1', [1]);
      assert.deepEqual(rows, [{ id: 1, name: 'migrated' }]);
    } finally {
      await client.end();
    }
  });

  test("an app's pool of one (pg.Pool max: 1) runs concurrent queries and a transaction through dev", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', () => undefined);
    try {
      // Ten queries at once: the pool queues them on its one connection.
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.query<{ n: number }>('SELECT $1::int AS n', [i])));
      assert.deepEqual(
        results.map((r) => r.rows[0]!.n),
        Array.from({ length: 10 }, (_, i) => i),
      );
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query("INSERT INTO prefs VALUES (42, 'from the pool') ON CONFLICT DO NOTHING");
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      assert.equal((await pool.query<{ name: string }>('SELECT name FROM prefs WHERE id = 42')).rows[0]!.name, 'from the pool');
      await pool.query('DELETE FROM prefs WHERE id = 42'); // the other tests read prefs
    } finally {
      await pool.end();
    }
  });

  const psqlMissing = spawnSync('psql', ['--version']).error ? 'psql is not installed' : false;
  test('psql connects and runs a statement', { skip: psqlMissing }, async () => {
    const { stdout } = await run('psql', ['-h', '127.0.0.1', '-p', port(), '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT name FROM prefs'], {
      env: { PATH: process.env.PATH ?? '', PGCONNECT_TIMEOUT: '5' },
      timeout: 15_000,
    });
    assert.equal(stdout.trim(), 'migrated');
  });

  test('a migration file saved while serving is applied within seconds, on the served database', async () => {
    addFiles(root, { 'contents/themes/t1/migrations/002_notes.sql': 'CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY);\n' });
    await until('the notes table', () => tableExists('notes'));
    assert.match(output, /applied contents\/themes\/t1\/migrations\/002_notes\.sql/);
  });

  test('a file saved while a client has a transaction open is applied once that transaction ends', async () => {
    const client = await connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO prefs VALUES (9, 'in a transaction')");
      const before = output.length;
      addFiles(root, { 'contents/themes/t1/migrations/003_later.sql': 'CREATE TABLE IF NOT EXISTS later (id INT);\n' });
      await until('the wait for the transaction', () => /transaction open: the change is applied when it ends/.test(output.slice(before)));
      await sleep(300);
      const inside = await client.query<{ t: string | null }>("SELECT to_regclass('later')::text AS t");
      assert.equal(inside.rows[0]!.t, null, 'nothing runs inside the client\'s transaction');
      await client.query('ROLLBACK');
      await until('the later table', async () => (await client.query<{ t: string | null }>("SELECT to_regclass('later')::text AS t")).rows[0]!.t === 'later');
    } finally {
      await client.end();
    }
  });

  test('an edited applied file is reported as modified and not applied', async () => {
    const file = path.join(root, 'migrations/001_init.sql');
    const original = readFileSync(file, 'utf8');
    const before = output.length;
    writeFileSync(file, `${original}CREATE TABLE must_not_exist (id INT);\n`);
    await until('the modified report', () => /was changed after it was applied/.test(output.slice(before)));
    assert.match(output.slice(before), /nothing applied/);
    assert.equal(await tableExists('must_not_exist'), false);
    writeFileSync(file, original); // restored: the next tests see a clean plan
    await until('the re-run after the restore', () => /nothing pending/.test(output.slice(before)));
  });

  test('a second client waits until the first disconnects; the first one\'s open transaction is rolled back', async () => {
    const first = await connect();
    await first.query('BEGIN');
    await first.query("INSERT INTO prefs VALUES (2, 'uncommitted')");
    const before = output.length;
    const second = new pg.Client({ connectionString: url });
    second.on('error', () => undefined);
    const notices: string[] = [];
    second.on('notice', (n) => notices.push(n.message ?? ''));
    let secondConnected = false;
    const connecting = second.connect().then(() => (secondConnected = true));
    await until('the waiting notice of dev', () => /a second client connected \(#\d+\); it waits until the first/.test(output.slice(before)));
    await sleep(500);
    assert.equal(secondConnected, false, 'the second client is not let in while the first is connected');

    (first as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(); // gone mid-transaction
    await connecting;
    try {
      assert.match(notices.join('\n'), /waited .* for another client to disconnect/);
      const { rows } = await second.query<{ n: number }>('SELECT count(*)::int AS n FROM prefs');
      assert.equal(rows[0]!.n, 1, 'the uncommitted row was rolled back');
      const { rows: state } = await second.query<{ s: string }>("SELECT current_setting('transaction_isolation') AS s");
      assert.equal(state.length, 1, 'the session is usable (no aborted transaction inherited)');
      await second.query("INSERT INTO prefs VALUES (3, 'committed')");
    } finally {
      await second.end();
    }
    assert.match(output, /its open transaction was rolled back/);
  });

  test('SIGINT stops it with exit 0, even with a client inside a transaction; the data stays in .pglite and the folder is released', async () => {
    const open = await connect();
    await open.query('BEGIN');
    await open.query("INSERT INTO prefs VALUES (4, 'uncommitted at the stop')");
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.match(output, /Stopped/);
    assert.equal(existsSync(path.join(root, '.pglite', '.tiered-migrate.lock')), false, 'the folder lock is released');
    const query = await runCli(['sql', '--root', root, '--no-env-file', 'SELECT id, name FROM prefs ORDER BY id'], {});
    assert.equal(query.code, 0, query.stderr);
    assert.match(query.stdout, /committed/);
    assert.doesNotMatch(query.stdout, /uncommitted/);
    await open.end().catch(() => undefined);
    const notes = await runCli(['sql', '--root', root, '--no-env-file', "SELECT to_regclass('notes') AS t"], {});
    assert.match(notes.stdout, /notes/);
  });
});

describe('dev: refusals', () => {
  test('a port in use is a configuration error (exit 2), and the folder is released', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as import('node:net').AddressInfo).port;
    const root = writeProject(files);
    try {
      const run = await runCli(['dev', '--root', root, '--no-env-file', '--port', String(busy)], { NEXT_PUBLIC_ACTIVE_THEME: 't1' });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busy}: EADDRINUSE`));
      assert.equal(existsSync(path.join(root, '.pglite', '.tiered-migrate.lock')), false);
      const usage = await runCli(['dev', '--root', root, '--port', 'many'], {});
      assert.equal(usage.code, 2);
    } finally {
      blocker.close();
      removeProject(root);
    }
  });
});
