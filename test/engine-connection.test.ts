// Connections that fail, hang or come late, and servers that cannot take a
// migration: each is a configuration error (exit 2) that says what to do, made
// before anything runs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { backends, connectForTest, createLoginRoleSql } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;

const root = writeProject({
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS conn_probe (id INT);\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig([]),
});
after(() => removeProject(root));

const migrate = (url: string, ...args: string[]) => runCli(['migrate', '--root', root, '--no-env-file', '--json', ...args], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The server's URL with another path, user or port. */
function variant(change: (u: URL) => void): string {
  const u = new URL(process.env.TEST_DATABASE_URL!);
  change(u);
  return u.toString();
}

test('a missing database is exit 2 with how to create it', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const run = await migrate(variant((u) => (u.pathname = '/conn_no_such_db')));
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.json!.error!.code, 'CONNECTION');
  assert.match(run.json!.error!.message, /conn_no_such_db/);
  assert.match(run.json!.error!.hint!, /createdb .*conn_no_such_db/);
  assert.match(run.json!.error!.hint!, /CREATE DATABASE/);
});

test('a refused role (authentication) is exit 2 naming the role, the password never shown', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  // The local server trusts every connection, so a wrong password cannot be provoked;
  // a role that does not exist is refused in the same phase (28000), and the
  // password in its URL must not leak.
  const run = await migrate(variant((u) => ((u.username = 'conn_no_such_role'), (u.password = 's3cretpw'))));
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.json!.error!.code, 'CONNECTION');
  assert.match(run.json!.error!.hint!, /conn_no_such_role/);
  assert.doesNotMatch(run.stdout + run.stderr, /s3cretpw/);
});

test('a refused connection fails at once with exit 2; the password is redacted', async () => {
  const port = await closedPort();
  const started = performance.now();
  const run = await migrate(`postgres://someone:hunter22@127.0.0.1:${port}/db`);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.json!.error!.code, 'CONNECTION');
  assert.match(run.json!.error!.message, /connection refused/);
  assert.match(run.json!.error!.hint!, /--wait/);
  assert.doesNotMatch(run.stdout + run.stderr, /hunter22/);
  assert.ok(performance.now() - started < 8000, 'no retries without --wait');
});

test('a server that accepts TCP and never answers is given up after --connect-timeout (exit 2)', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const started = performance.now();
    const run = await migrate(`postgres://u@127.0.0.1:${port}/db`, '--connect-timeout', '1');
    const took = performance.now() - started;
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.json!.error!.message, /no answer within 1 s/);
    assert.match(run.json!.error!.hint!, /connect-timeout/);
    assert.ok(took < 6000, `gave up after ${Math.round(took)} ms`);
    // The variable does the same; a bad value is a usage error.
    const bad = await runCli(['migrate', '--root', root, '--no-env-file', '--json'], { DATABASE_URL: `postgres://u@127.0.0.1:${port}/db`, MIGRATE_CONNECT_TIMEOUT: 'soon', NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(bad.code, 2);
    assert.match(bad.stdout + bad.stderr, /MIGRATE_CONNECT_TIMEOUT must be a number of seconds/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('--wait retries a refused port until a server appears there, printing each try, then runs', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const target = new URL(db.url);
  const port = await closedPort();
  // A TCP proxy to the real server, started 2 s after the runner.
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close);
    upstream.on('error', close);
  });
  const timer = setTimeout(() => proxy.listen(port, '127.0.0.1'), 2000);
  try {
    const url = variant((u) => ((u.port = String(port)), (u.pathname = target.pathname)));
    const human = runCli(['migrate', '--root', root, '--no-env-file', '--wait', '20'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    const run = await human;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Try 1: cannot connect .*connection refused.*; trying again in/);
    assert.match(run.stdout, /Successfully executed 001_init\.sql/);
    // In --json each try is listed.
    proxy.close();
    const late = setTimeout(() => proxy.listen(port, '127.0.0.1'), 1500);
    const json = await migrate(url, '--wait', '20');
    clearTimeout(late);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const retries = (json.json as unknown as { connectRetries?: { attempt: number; code: string }[] }).connectRetries ?? [];
    assert.ok(retries.length >= 1 && retries[0]!.attempt === 1 && retries[0]!.code === 'CONNECTION', JSON.stringify(retries));
  } finally {
    clearTimeout(timer);
    proxy.close();
    await db.drop();
  }
});

test('--wait gives up within its bound on a port that never opens, and never retries an authentication error', async (t) => {
  const port = await closedPort();
  const started = performance.now();
  const run = await migrate(`postgres://u@127.0.0.1:${port}/db`, '--wait', '1.5');
  assert.equal(run.code, 2);
  const took = performance.now() - started;
  assert.ok(took >= 1400 && took < 8000, `waited ${Math.round(took)} ms`);
  if (server.skipReason) return t.skip(server.skipReason);
  const auth = await migrate(variant((u) => (u.username = 'conn_no_such_role')), '--wait', '30');
  assert.equal(auth.code, 2);
  assert.equal((auth.json as unknown as { connectRetries?: unknown[] }).connectRetries, undefined);
});

test('a read-only database is refused before anything runs (exit 2); status still reads it', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  try {
    const admin = await connectForTest(process.env.TEST_DATABASE_URL!);
    const name = new URL(db.url).pathname.slice(1);
    await admin.exec(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    await admin.close();
    const run = await migrate(db.url);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.json!.error!.code, 'CONFIG');
    assert.match(run.json!.error!.message, /read-only/);
    assert.match(run.json!.error!.hint!, /primary|read-write/);
    const status = await runCli(['status', '--root', root, '--no-env-file', '--json'], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.deepEqual(status.json!.migrations.map((m) => m.status), ['pending']);
    const check = await connectForTest(db.url);
    const tables = await check.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
    await check.close();
    assert.equal(tables.rows[0]!.n, 0, 'nothing was created');
  } finally {
    await db.drop();
  }
});

test('a role that may not create in the schema is refused before anything runs (exit 2), naming the owner role', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const role = `conn_plain_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await connectForTest(process.env.TEST_DATABASE_URL!);
  await admin.exec(createLoginRoleSql(role, process.env.TEST_DATABASE_URL!));
  try {
    // PostgreSQL 15 and later: only the owner may create in public.
    const owner = await connectForTest(db.url);
    await owner.exec(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await owner.close();
    const run = await migrate(variant((u) => ((u.username = role), (u.pathname = new URL(db.url).pathname))));
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.json!.error!.code, 'CONFIG');
    assert.match(run.json!.error!.message, new RegExp(`role "${role}" may not create the tracking tables`));
    assert.match(run.json!.error!.hint!, /owner role/);
  } finally {
    await db.drop();
    await admin.exec(`DROP ROLE IF EXISTS ${role}`);
    await admin.close();
  }
});

test('a hot standby is refused for migrate and allowed for status (preflight, pure)', async () => {
  const { preflightError } = await import('../src/tracking/preflight.js');
  const facts = { standby: true, readOnly: true, role: 'app', createInTracking: true, createInPublic: true, trackingOpen: false };
  const refused = preflightError(facts, { writes: true, createsTracking: false, pending: true, database: 'postgres://replica/db' });
  assert.equal(refused?.code, 'CONFIG');
  assert.equal(refused?.exitCode, 2);
  assert.match(refused!.message, /hot standby/);
  assert.match(refused!.hint!, /primary/);
  assert.equal(preflightError(facts, { writes: false, createsTracking: false, pending: true, database: 'x' }), null);
  const noCreate = preflightError({ ...facts, standby: false, readOnly: false, createInPublic: false }, { writes: true, createsTracking: false, pending: true, database: 'x' });
  assert.match(noCreate!.message, /may not create in schema public/);
  assert.equal(preflightError({ ...facts, standby: false, readOnly: false, createInPublic: false }, { writes: true, createsTracking: false, pending: false, database: 'x' }), null);
});

test('SSL refused by the server is exit 2 with the sslmode to use', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const admin = await connectForTest(process.env.TEST_DATABASE_URL!);
  const ssl = (await admin.query<{ ssl: string }>('SHOW ssl')).rows[0]!.ssl;
  await admin.close();
  if (ssl === 'on') return t.skip('the test server accepts SSL, so it cannot refuse it');
  const run = await migrate(variant((u) => u.searchParams.set('sslmode', 'require')));
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal(run.json!.error!.code, 'CONNECTION');
  assert.match(run.json!.error!.message, /does not support SSL/i);
  assert.match(run.json!.error!.hint!, /sslmode=disable/);
});
