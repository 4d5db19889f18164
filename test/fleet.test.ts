// Fleets: one command on many databases of the test server (migrate and status
// --targets / --targets-query). Server only: PGlite has no second database to list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { backends } from './support/backends.js';
import { removeProject, repoRoot, runCli, themeConfig, writeProject, type CliRun } from './support/project.js';
import { parseTargetsText, targetsOfRows, type FleetTarget } from '../src/fleet/targets.js';
import { scheduleFleet, type FleetOptions } from '../src/fleet/run.js';
import type { RunResult } from '../src/run/events.js';

const server = backends.find((b) => b.name === 'postgres')!;

interface FleetDoc {
  ok: boolean;
  targets: { label: string; ok: boolean; notes?: string[]; migrations: { status: string }[] }[];
  summary: { label: string; status: string; applied: number; skipped: number; pending: number; modified: number; latest: string | null; error: { file: string | null; line: number | null; message: string } | null }[];
}

const files = {
  'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  'migrations/001_accounts.sql': 'CREATE TABLE accounts (id INT);\n',
  // Not idempotent on purpose: applied twice, it fails. Its error is on line 2.
  'migrations/002_orders.sql': '-- orders of the tenant\nCREATE TABLE orders (id INT, account INT);\n',
  'migrations/003_items.sql': 'CREATE TABLE items (id INT);\n',
};

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

test('parseTargetsText: labels, comments, file:line errors, duplicate labels', () => {
  const targets = parseTargetsText('# tenants\n\nacme postgres://u:pw@h/acme\npostgres://u:pw@h/b\n', 't.txt');
  assert.deepEqual(
    targets.map((t) => [t.label, t.line]),
    [
      ['acme', 3],
      ['postgres://u:***@h/b', 4],
    ],
  );
  assert.throws(() => parseTargetsText('a postgres://h/a\na postgres://h/b\n', 't.txt'), (e: Error & { line?: number }) => /listed twice/.test(e.message) && e.line === 2);
  assert.throws(() => parseTargetsText('\nacme mysql://u:topsecret@h/a\n', 't.txt'), (e: Error & { line?: number }) => e.line === 2 && /t\.txt:2/.test(e.message) && !e.message.includes('topsecret'));
  assert.throws(() => parseTargetsText('a b postgres://h/a\n', 't.txt'), /t\.txt:1/);
  // Schema-per-tenant: the parameter is ours, stripped before connecting; or a query's column.
  const [s42] = parseTargetsText('t42 postgres://u:pw@h/app?schema=tenant_42&sslmode=disable\n', 't.txt');
  assert.deepEqual([s42!.schema, s42!.url], ['tenant_42', 'postgres://u:pw@h/app?sslmode=disable']);
  const rows = targetsOfRows([{ url: 'postgres://h/app', schema: 'tenant_7' }, { url: 'postgres://h/app', schema: 'tenant_8', label: 'eight' }]);
  assert.deepEqual(rows.map((r) => [r.label, r.schema]), [['postgres://h/app (schema tenant_7)', 'tenant_7'], ['eight', 'tenant_8']]);
  assert.throws(() => targetsOfRows([{ url: 'postgres://h/a' }, { url: 'postgres://h/a' }]), /listed twice/);
});

test('scheduleFleet: never more than --concurrency at once; canary; --on-error stop starts nothing new', async () => {
  const targets: FleetTarget[] = Array.from({ length: 12 }, (_, i) => ({ label: `t${i}`, url: `postgres://h/t${i}`, schema: null, origin: `x:${i + 1}`, line: i + 1 }));
  const schedule = async (fleet: Omit<FleetOptions, 'onProgress'>, failing: ReadonlySet<string>) => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const result = await scheduleFleet('migrate', targets, fleet, async (t) => {
      started.push(t.label);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5 + (Number(t.label.slice(1)) % 3) * 3));
      running--;
      const ok = !failing.has(t.label);
      const result: RunResult = { ok, command: 'migrate', database: t.url, migrations: [], problems: [], error: ok ? null : { code: 'MIGRATION_FAILED', message: 'boom', file: 'a.sql', line: 3, column: 1, sqlstate: null } };
      return { result, notes: [] };
    });
    return { result, most, started };
  };
  const all = await schedule({ concurrency: 3, canary: 0, onError: 'continue' }, new Set(['t5']));
  assert.equal(all.most, 3);
  assert.equal(all.started.length, 12);
  assert.deepEqual(all.result.targets.filter((s) => s.status === 'failed').map((s) => [s.label, s.error?.line]), [['t5', 3]]);
  const canary = await schedule({ concurrency: 4, canary: 2, onError: 'continue' }, new Set(['t1']));
  assert.deepEqual(canary.started, ['t0', 't1']);
  assert.match(canary.result.stopped ?? '', /canary/);
  assert.equal(canary.result.targets.filter((s) => s.status === 'not-started').length, 10);
  const stop = await schedule({ concurrency: 2, canary: 0, onError: 'stop' }, new Set(['t0']));
  assert.ok(stop.started.length <= 2, stop.started.join(','));
  assert.equal(stop.result.ok, false);
});

test('fleet: 20 targets, one broken; continue, fix, resume; status; canary; two fleets at once; --targets-query; no password', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const prefix = `fleet_${randomBytes(4).toString('hex')}`;
  const names: string[] = [];
  const root = writeProject(files);
  // A password in every URL (trust auth ignores it; a server that asks gets its own).
  const base = new URL(process.env.TEST_DATABASE_URL!);
  if (!base.password) base.password = 'fleet-secret-pw';
  const password = decodeURIComponent(base.password);
  const urlOf = (name: string) => {
    const u = new URL(base.toString());
    u.pathname = `/${name}`;
    return u.toString();
  };
  const onAdmin = async <R>(fn: (c: pg.Client) => Promise<R>): Promise<R> => {
    const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const make = async (name: string) => {
    names.push(name);
    await onAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  };
  const onDb = async <R>(name: string, fn: (c: pg.Client) => Promise<R>): Promise<R> => {
    const c = new pg.Client({ connectionString: urlOf(name) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const tracked = (name: string) => onDb(name, async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = '_migrations'`)).rows[0]!.n === 0 ? 0 : (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM _migrations')).rows[0]!.n);
  const writeTargets = (file: string, list: string[]) => {
    const full = path.join(root, file);
    writeFileSync(full, `# fleet of the test\n${list.map((n) => `${n.slice(prefix.length + 1)} ${urlOf(n)}`).join('\n')}\n`);
    return full;
  };
  const env = { NEXT_PUBLIC_ACTIVE_THEME: 't1' };
  const outputs: CliRun[] = [];
  const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const run = await runCli([...args, '--root', root, '--no-env-file'], { ...env, ...extraEnv });
    outputs.push(run);
    return run;
  };
  const doc = (run: CliRun) => JSON.parse(run.stdout) as FleetDoc;
  try {
    const tenants = Array.from({ length: 20 }, (_, i) => `${prefix}_t${String(i + 1).padStart(2, '0')}`);
    // Made (and dropped) four at a time: CREATE DATABASE is most of this test's time.
    const t0 = Date.now();
    await inParallel(tenants, 4, make);
    t.diagnostic(`20 databases made in ${Date.now() - t0} ms`);
    const broken = tenants[6]!;
    await onDb(broken, (c) => c.query('CREATE TABLE orders (note TEXT)'));
    const list = writeTargets('targets.txt', tenants);

    await t.test('--on-error continue: 19 targets current, the broken one reported with file and line', async () => {
      const run = await cli(['migrate', '--targets', list, '--on-error', 'continue', '--concurrency', '4', '--json']);
      assert.equal(run.code, 1, run.stderr);
      const d = doc(run);
      assert.equal(d.ok, false);
      assert.equal(d.targets.length, 20);
      const bad = d.summary.find((s) => s.status === 'failed')!;
      assert.equal(bad.label, 't07');
      assert.equal(bad.error?.file, 'migrations/002_orders.sql');
      assert.equal(bad.error?.line, 2);
      assert.equal(d.summary.filter((s) => s.status === 'ok' && s.applied === 3).length, 19);
      for (const name of tenants) assert.equal(await tracked(name), name === broken ? 1 : 3, name);
    });

    await t.test('status --targets: behind-most first, counts, an unreachable target fails (exit 1)', async () => {
      const fresh = `${prefix}_fresh`;
      await make(fresh);
      const statusList = writeTargets('status.txt', [tenants[0]!, broken, fresh]);
      writeFileSync(statusList, `down postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:1/nowhere\n`, { flag: 'a' });
      const run = await cli(['status', '--targets', statusList, '--json', '--connect-timeout', '2']);
      assert.equal(run.code, 1, run.stderr);
      const order = doc(run).summary.map((s) => [s.label, s.status, s.applied, s.pending, s.latest]);
      assert.deepEqual(order, [
        ['down', 'failed', 0, 0, null],
        ['fresh', 'ok', 0, 3, null],
        ['t07', 'ok', 1, 2, 'migrations/001_accounts.sql'],
        ['t01', 'ok', 3, 0, 'migrations/003_items.sql'],
      ]);
      const human = await cli(['status', '--targets', writeTargets('status-ok.txt', [tenants[0]!, fresh])]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /fresh\s+\|\s+0 \|\s+3 \|/);
    });

    await t.test('fix the broken tenant and re-run: only it applies anything', async () => {
      await onDb(broken, (c) => c.query('DROP TABLE orders'));
      const run = await cli(['migrate', '--targets', list, '--json']);
      assert.equal(run.code, 0, run.stderr);
      const applied = doc(run).summary.filter((s) => s.applied > 0);
      assert.deepEqual(applied.map((s) => [s.label, s.applied]), [['t07', 2]]);
      const human = await cli(['migrate', '--targets', list]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /20 target\(s\): 20 ok, 0 failed/);
    });

    await t.test('--canary 1 with a failing first target touches no other', async () => {
      const canary = [`${prefix}_c0`, `${prefix}_c1`, `${prefix}_c2`];
      for (const name of canary) await make(name);
      await onDb(canary[0]!, (c) => c.query('CREATE TABLE orders (note TEXT)'));
      const run = await cli(['migrate', '--targets', writeTargets('canary.txt', canary), '--canary', '1', '--on-error', 'continue']);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /2 not started/);
      assert.match(run.stdout, /canary/);
      assert.equal(await tracked(canary[1]!), 0);
      assert.equal(await tracked(canary[2]!), 0);

      // Two fleet runs at once on the untouched ones: each file once per target.
      await onDb(canary[0]!, (c) => c.query('DROP TABLE orders'));
      const both = writeTargets('both.txt', canary);
      const [a, b] = await Promise.all([cli(['migrate', '--targets', both, '--json', '--concurrency', '2']), cli(['migrate', '--targets', both, '--json', '--concurrency', '2'])]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      for (const label of ['c0', 'c1', 'c2']) {
        const applied = [a, b].map((r) => doc(r).summary.find((s) => s.label === label)!.applied);
        assert.equal(applied[0]! + applied[1]!, label === 'c0' ? 2 : 3, `${label}: ${applied.join(' + ')}`);
      }
      for (const name of canary) assert.equal(await tracked(name), 3, name);
    });

    await t.test('--targets-query: the control database lists the tenants', async () => {
      const control = tenants[0]!;
      const extra = [`${prefix}_q1`, `${prefix}_q2`];
      for (const name of extra) await make(name);
      await onDb(control, async (c) => {
        await c.query('CREATE TABLE tenants (name TEXT, conn TEXT)');
        for (const name of extra) await c.query('INSERT INTO tenants VALUES ($1, $2)', [name.slice(prefix.length + 1), urlOf(name)]);
      });
      const run = await cli(['migrate', '--targets-query', 'SELECT name AS label, conn AS url FROM tenants ORDER BY name', '--json'], { DATABASE_URL: urlOf(control) });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(doc(run).summary.map((s) => [s.label, s.applied]), [['q1', 3], ['q2', 3]]);
      const status = await cli(['status', '--targets-query', 'SELECT conn AS url FROM tenants'], { DATABASE_URL: urlOf(control) });
      assert.equal(status.code, 0, status.stderr);
      const noUrl = await cli(['status', '--targets-query', 'SELECT name FROM tenants'], { DATABASE_URL: urlOf(control) });
      assert.equal(noUrl.code, 2);
      assert.match(noUrl.stderr, /no "url" column/);
    });

    await t.test('schema-per-tenant: 5 schemas on one database, the core once in public, the rest and its tracking per schema', async () => {
      const shared = `${prefix}_schemas`;
      await make(shared);
      const schemaRoot = writeProject({
        'contents/themes/t1/config/theme.config.ts': themeConfig([]),
        // The core tier: shared, once in public (tracked in public._migrations).
        'migrations/001_helper.sql': "CREATE OR REPLACE FUNCTION public.tenant_default() RETURNS INT LANGUAGE sql IMMUTABLE AS 'SELECT 42';\n",
        // The theme tier: per tenant, in its schema (tracked in its _content_migrations).
        'contents/themes/t1/migrations/001_orders.sql': 'CREATE TABLE orders (id INT DEFAULT public.tenant_default());\nINSERT INTO orders DEFAULT VALUES;\n',
      });
      try {
        const u = new URL(urlOf(shared));
        const lines = Array.from({ length: 5 }, (_, i) => {
          u.searchParams.set('schema', `tenant_${i + 1}`);
          return `s${i + 1} ${u.toString()}`;
        });
        // One schema exists already, with a table of its own.
        await onDb(shared, (c) => c.query('CREATE SCHEMA tenant_3; CREATE TABLE tenant_3.keep (id INT)'));
        const list = path.join(schemaRoot, 'schemas.txt');
        writeFileSync(list, `${lines.join('\n')}\n`);
        const run = await runCli(['migrate', '--targets', list, '--root', schemaRoot, '--no-env-file', '--json'], env);
        outputs.push(run);
        assert.equal(run.code, 0, run.stderr + run.stdout.slice(-500));
        const d = doc(run);
        // The first tenant to get the lock applies the core file too; the others find it applied.
        assert.deepEqual(d.summary.map((s) => s.applied).sort(), [1, 1, 1, 1, 2]);
        const created = d.targets.filter((x) => x.notes?.some((n) => /created schema/.test(n))).map((x) => x.label).sort();
        assert.deepEqual(created, ['s1', 's2', 's4', 's5']);
        const tables = await onDb(shared, async (c) => (await c.query<{ t: string }>(`SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE tablename IN ('orders', '_content_migrations') ORDER BY 1`)).rows.map((r) => r.t));
        assert.deepEqual(tables, ['public._content_migrations', ...[1, 2, 3, 4, 5].flatMap((i) => [`tenant_${i}._content_migrations`, `tenant_${i}.orders`])]);
        const counts = await onDb(shared, async (c) => (await c.query<{ core: number; tenant: number; tenantCore: number; orders: number }>('SELECT (SELECT count(*)::int FROM public._migrations) AS core, (SELECT count(*)::int FROM tenant_4._content_migrations) AS tenant, (SELECT count(*)::int FROM tenant_4._migrations) AS "tenantCore", (SELECT id FROM tenant_4.orders) AS orders')).rows[0]!);
        assert.deepEqual(counts, { core: 1, tenant: 1, tenantCore: 0, orders: 42 });
        const again = await runCli(['status', '--targets', list, '--root', schemaRoot, '--no-env-file'], env);
        outputs.push(again);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /5 target\(s\): 5 ok/);
        // A file changed after it was applied: every target reports it modified, exit 1.
        writeFileSync(path.join(schemaRoot, 'contents/themes/t1/migrations/001_orders.sql'), 'CREATE TABLE orders (id BIGINT);\n');
        const modified = await runCli(['status', '--targets', list, '--root', schemaRoot, '--no-env-file', '--json'], env);
        outputs.push(modified);
        assert.equal(modified.code, 1, modified.stderr);
        assert.deepEqual(doc(modified).summary.map((s) => s.modified), [1, 1, 1, 1, 1]);
      } finally {
        removeProject(schemaRoot);
      }
    });

    await t.test('the shipped schema on 3 tenant schemas: users and helpers once in public, each tenant its own tasks', async () => {
      const shipped = `${prefix}_shipped`;
      await make(shipped);
      const u = new URL(urlOf(shipped));
      const lines = [1, 2, 3].map((i) => {
        u.searchParams.set('schema', `shop_${i}`);
        return `shop${i} ${u.toString()}`;
      });
      const list = path.join(root, 'shipped.txt');
      writeFileSync(list, `${lines.join('\n')}\n`);
      const run = await runCli(['migrate', '--targets', list, '--root', repoRoot, '--no-env-file', '--json'], { NEXT_PUBLIC_ACTIVE_THEME: 'default' });
      outputs.push(run);
      assert.equal(run.code, 0, run.stderr + run.stdout.slice(-800));
      const found = await onDb(shipped, async (c) =>
        (await c.query<{ name: string; found: boolean }>(
          `SELECT name, pg_catalog.to_regclass(name) IS NOT NULL AS found FROM unnest(ARRAY['public."user"', 'public.tasks', 'shop_1."user"', 'shop_1.tasks', 'shop_2.tasks', 'shop_3.tasks']) AS name`,
        )).rows.map((r) => `${r.name} ${r.found}`),
      );
      assert.deepEqual(found, ['public."user" true', 'public.tasks false', 'shop_1."user" false', 'shop_1.tasks true', 'shop_2.tasks true', 'shop_3.tasks true']);
      const again = await runCli(['migrate', '--targets', list, '--root', repoRoot, '--no-env-file', '--json'], { NEXT_PUBLIC_ACTIVE_THEME: 'default' });
      outputs.push(again);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(doc(again).summary.map((s) => s.applied), [0, 0, 0], 'a second run applies nothing');
    });

    await t.test('no password in any output', () => {
      assert.ok(outputs.length >= 8);
      // The suite's own server's password is "postgres", which is also the user's name and
      // part of every URL: there, look for it where a URL would carry it; elsewhere, anywhere.
      const distinctive = !['postgres', decodeURIComponent(base.username)].some((word) => word.includes(password));
      const leaks = (text: string) => text.includes(`:${password}@`) || text.includes(`:${encodeURIComponent(password)}@`) || (distinctive && text.includes(password));
      for (const run of outputs) {
        assert.ok(!leaks(run.stdout) && !leaks(run.stderr), `password printed: ${run.stdout.slice(0, 200)} ${run.stderr.slice(0, 200)}`);
      }
    });
  } finally {
    await inParallel(names, 4, (name) => onAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined));
    removeProject(root);
  }
});
