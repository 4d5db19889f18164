// Session state and transaction settings a migration file or the database brings:
// a file's SET must not reach the next file (nor, through a pooler, the next
// client), a pg_dump output is a valid file, and the database's default isolation
// level does not change how concurrent runners behave.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { backends, connectForTest, type Backend, type TestDatabaseHandle } from './support/backends.js';
import { pgbouncerUnavailable, startPgbouncer } from './support/pgbouncer.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { startCountingProxy } from '../bench/proxy.js';

const server = backends.find((b) => b.name === 'postgres')!;

/** Runs `sql` on `url` with a client of its own. */
async function queryOn<R = Record<string, unknown>>(url: string, sql: string): Promise<R[]> {
  const c = await connectForTest(url);
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.close();
  }
}

async function setup(backend: Backend, files: Record<string, string>, cleanup: (() => Promise<void> | void)[]) {
  const db: TestDatabaseHandle = await backend.createDatabase();
  const root = writeProject({ 'contents/themes/t1/config/theme.config.ts': themeConfig([]), ...files });
  cleanup.push(() => db.drop(), () => removeProject(root));
  const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
  const cli = (extra: Record<string, string> = {}) => runCli(['migrate', '--root', root, '--json', '--no-env-file'], { ...env, ...extra });
  return { db, root, cli, query: <R = Record<string, unknown>>(sql: string) => queryOn<R>(db.url, sql) };
}

/** What a file sees of the session, kept in a table by the file itself. */
const OBSERVE = (table: string) =>
  `CREATE TABLE ${table} AS SELECT current_setting('search_path') AS search_path, current_user::text AS usr, session_user::text AS session_usr, current_setting('lock_timeout') AS lock_timeout, current_setting('work_mem') AS work_mem;\n`;

for (const backend of backends) {
  describe(`session state on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`session state on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    test('a file starts from the session defaults whatever the previous file SET (search_path, GUCs, role, session authorization)', async () => {
      const { cli, query } = await setup(
        backend,
        {
          'migrations/001_baseline.sql': OBSERVE('baseline'),
          'migrations/002_app_schema.sql': 'CREATE SCHEMA app;\nSET search_path TO app, public;\nSET lock_timeout = 4321;\nSET work_mem = \'7MB\';\nCREATE TABLE in_app (id INT);\n',
          'migrations/003_unqualified.sql': `CREATE TABLE lands_in_public (id INT);\n${OBSERVE('after_set')}`,
          'migrations/004_role.sql': 'SET ROLE pg_monitor;\nSELECT 1;\n',
          'migrations/005_after_role.sql': OBSERVE('after_role'),
          'migrations/006_session_authorization.sql': 'SET SESSION AUTHORIZATION pg_monitor;\nSELECT 1;\n',
          'migrations/007_after_session_authorization.sql': OBSERVE('after_session_authorization'),
        },
        cleanup,
      );
      const run = await cli();
      assert.equal(run.code, 0, JSON.stringify(run.json?.error ?? run.stderr));
      assert.equal(run.json!.migrations.filter((m) => m.status === 'applied').length, 7);
      const schemaOf = await query<{ schemaname: string; tablename: string }>(
        `SELECT schemaname, tablename FROM pg_tables WHERE tablename IN ('in_app', 'lands_in_public') ORDER BY tablename`,
      );
      assert.deepEqual(schemaOf, [
        { schemaname: 'app', tablename: 'in_app' },
        { schemaname: 'public', tablename: 'lands_in_public' },
      ]);
      const [baseline] = await query<Record<string, string>>('SELECT * FROM baseline');
      for (const table of ['after_set', 'after_role', 'after_session_authorization']) {
        assert.deepEqual((await query<Record<string, string>>(`SELECT * FROM ${table}`))[0], baseline, `${table} sees the session defaults`);
      }
      const recorded = await query<{ n: number }>('SELECT count(*)::int AS n FROM public._migrations');
      assert.equal(recorded[0]!.n, 7, 'every file recorded in the tracking table of the run’s schema');
    });

    test('a file that fails after a SET changes nothing of the session: the run reports the file, nothing else', async () => {
      const { cli, query } = await setup(
        backend,
        {
          'migrations/001_ok.sql': 'CREATE TABLE one (id INT);\n',
          'migrations/002_fails.sql': "SET search_path TO pg_catalog;\nSET ROLE pg_monitor;\nSELECT 1/0;\n",
        },
        cleanup,
      );
      const run = await cli();
      assert.equal(run.code, 1);
      assert.equal(run.json!.error!.code, 'MIGRATION_FAILED');
      assert.equal(run.json!.error!.sqlstate, '22012');
      assert.deepEqual([run.json!.error!.file, run.json!.error!.line], ['migrations/002_fails.sql', 3]);
      assert.deepEqual((await query<{ filename: string }>('SELECT filename FROM _migrations')).map((r) => r.filename), ['001_ok.sql']);
    });

    test('an error raised at COMMIT (a deferred constraint) fails the file it belongs to: rolled back, not recorded', async () => {
      const { cli, query } = await setup(
        backend,
        {
          'migrations/001_ok.sql': 'CREATE TABLE one (id INT);\n',
          'migrations/002_deferred.sql':
            'CREATE TABLE parent (id INT PRIMARY KEY);\nCREATE TABLE child (pid INT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (1);\n',
          'migrations/003_never.sql': 'CREATE TABLE never (id INT);\n',
        },
        cleanup,
      );
      const run = await cli();
      assert.equal(run.code, 1);
      assert.equal(run.json!.error!.code, 'MIGRATION_FAILED', JSON.stringify(run.json!.error));
      assert.equal(run.json!.error!.file, 'migrations/002_deferred.sql');
      assert.equal(run.json!.error!.sqlstate, '23503');
      assert.equal((run.json!.error as { recorded?: boolean }).recorded, false);
      assert.deepEqual((await query<{ filename: string }>('SELECT filename FROM _migrations')).map((r) => r.filename), ['001_ok.sql']);
      assert.deepEqual(await query(`SELECT 1 FROM pg_tables WHERE tablename IN ('parent', 'child', 'never')`), []);
    });

    test('a pg_dump --schema-only output is a valid migration file (search_path emptied at its top)', async (t) => {
      if (server.skipReason) return t.skip(`the dump is made on the server: ${server.skipReason}`);
      const source = await server.createDatabase();
      cleanup.push(() => source.drop());
      const c = await connectForTest(source.url);
      await c.exec(`
        CREATE SCHEMA billing;
        CREATE TYPE billing.status AS ENUM ('open', 'paid');
        CREATE TABLE public.customers (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ DEFAULT now());
        CREATE TABLE billing.invoices (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id INT NOT NULL REFERENCES public.customers(id) ON DELETE CASCADE, status billing.status NOT NULL DEFAULT 'open', total NUMERIC(12,2));
        CREATE INDEX invoices_customer_idx ON billing.invoices (customer_id);
        CREATE FUNCTION billing.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := coalesce(NEW.total, 0); RETURN NEW; END $$;
        CREATE TRIGGER invoices_touch BEFORE INSERT ON billing.invoices FOR EACH ROW EXECUTE FUNCTION billing.touch();
        CREATE VIEW public.open_invoices AS SELECT i.id, c.email FROM billing.invoices i JOIN public.customers c ON c.id = i.customer_id WHERE i.status = 'open';
        COMMENT ON TABLE public.customers IS 'people who pay';
      `);
      // pg_dump refuses a server of a newer major version (the suite's own server may be
      // PostgreSQL 18 beside a Debian pg_dump 15): then the run against the machine's
      // PostgreSQL 15 (CI's second pass) makes the dump.
      const serverMajor = Math.floor(Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10000);
      await c.close();
      const dumpMajor = Number(/(\d+)(\.\d+)*/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }))?.[1] ?? 0);
      if (dumpMajor < serverMajor) return t.skip(`pg_dump ${dumpMajor} cannot dump a PostgreSQL ${serverMajor} server; the pass against a PostgreSQL ${dumpMajor} server runs this test`);
      const url = new URL(source.url);
      const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1)], {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      });
      assert.match(dump, /SELECT pg_catalog\.set_config\('search_path', '', false\);/);
      // pg_dump 15.14+ wraps its output in psql's \restrict / \unrestrict meta-commands
      // (psql-only lines, not SQL): a user drops them, and so does this test.
      const sql = dump.split('\n').filter((line) => !/^\\(un)?restrict /.test(line)).join('\n');
      const { cli, query } = await setup(
        backend,
        {
          'migrations/001_dump.sql': sql,
          'migrations/002_after_dump.sql': `CREATE TABLE after_dump (id INT);\n${OBSERVE('after_dump_session')}`,
        },
        cleanup,
      );
      const run = await cli();
      assert.equal(run.code, 0, JSON.stringify(run.json?.error ?? run.stderr));
      assert.deepEqual(run.json!.migrations.map((m) => m.status), ['applied', 'applied']);
      const tables = await query<{ t: string }>(
        `SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE schemaname IN ('public', 'billing') AND tablename NOT LIKE '\\_%' ORDER BY 1`,
      );
      assert.deepEqual(tables.map((r) => r.t), ['billing.invoices', 'public.after_dump', 'public.customers', 'public.after_dump_session'].sort());
      const defaults = await query<{ sp: string }>(`SELECT current_setting('search_path') AS sp`);
      assert.deepEqual(await query<{ sp: string }>('SELECT search_path AS sp FROM after_dump_session'), defaults);
      assert.deepEqual((await query<{ filename: string }>('SELECT filename FROM _migrations ORDER BY id')).map((r) => r.filename), ['001_dump.sql', '002_after_dump.sql']);
      const again = await cli();
      assert.equal(again.code, 0);
      assert.ok(again.json!.migrations.every((m) => m.status === 'skipped'));
    });
  });
}

describe('session state through PgBouncer and default isolation levels (server)', { concurrency: false }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('through PgBouncer (transaction pooling, one server connection) a file’s SET does not reach the next client', async (t) => {
    const reason = server.skipReason ?? pgbouncerUnavailable();
    if (reason) return t.skip(reason);
    const { db, root } = await setup(
      server,
      { 'migrations/001_sets.sql': 'CREATE SCHEMA app;\nSET search_path TO app, public;\nSET ROLE pg_monitor;\nSET lock_timeout = 4321;\n' },
      cleanup,
    );
    const bouncer = await startPgbouncer(db.url, 1);
    cleanup.push(() => bouncer.stop());
    const url = bouncer.urlFor(db.url);
    const run = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(run.code, 0, JSON.stringify(run.json?.error ?? run.stderr));
    // One server connection in the pool: this client gets the one the run used.
    const seen = await queryOn<{ sp: string; usr: string; lt: string }>(url, `SELECT current_setting('search_path') AS sp, current_user::text AS usr, current_setting('lock_timeout') AS lt`);
    assert.deepEqual(seen, [{ sp: '"$user", public', usr: 'postgres', lt: '0' }]);
  });

  test('a run with nothing to do still sends exactly one query (the schema comes with the tracking rows)', async (t) => {
    if (server.skipReason) return t.skip(server.skipReason);
    const { db, root, cli } = await setup(server, { 'migrations/001_one.sql': 'CREATE TABLE one (id INT);\n' }, cleanup);
    assert.equal((await cli()).code, 0);
    const url = new URL(db.url);
    const proxy = await startCountingProxy(url.hostname, Number(url.port || 5432));
    cleanup.push(() => proxy.close());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    proxy.take();
    const run = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: url.toString(), NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    assert.equal(run.code, 0);
    assert.equal(proxy.take().queries, 1);
  });

  for (const level of ['repeatable read', 'serializable']) {
    test(`ten runners at once with default_transaction_isolation = '${level}': each file applied once, all exit 0`, async (t) => {
      if (server.skipReason) return t.skip(server.skipReason);
      const files: Record<string, string> = {};
      // Not idempotent on purpose: running any file twice fails.
      for (let i = 1; i <= 12; i++) files[`migrations/${String(i).padStart(3, '0')}_step.sql`] = `CREATE TABLE step_${i} (id INT);\nINSERT INTO step_${i} VALUES (${i});\n`;
      const { db, cli, query } = await setup(server, files, cleanup);
      const name = new URL(db.url).pathname.slice(1);
      await queryOn(db.url, `ALTER DATABASE ${name} SET default_transaction_isolation = '${level}'`);
      const runs = await Promise.all(Array.from({ length: 10 }, () => cli()));
      for (const run of runs) assert.equal(run.code, 0, `${run.json?.error?.message ?? run.stderr}`);
      const applied = runs.flatMap((r) => r.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.filename));
      assert.equal(applied.length, 12);
      assert.equal(new Set(applied).size, 12);
      assert.equal((await query<{ n: number }>('SELECT count(*)::int AS n FROM _migrations'))[0]!.n, 12);
    });
  }

  test('a failure never claims the file is not recorded when a tracking row for it exists', async (t) => {
    if (server.skipReason) return t.skip(server.skipReason);
    // A writer that does not take the migration lock (an older tool, a hand-made row)
    // records the file while it runs: its INSERT then fails, and the row exists.
    const { db, root } = await setup(server, { 'migrations/001_slow.sql': 'CREATE TABLE slow (id INT);\nSELECT pg_sleep(1.5);\n' }, cleanup);
    const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    // Tables first (a run with nothing pending creates them), then the racing row.
    const { renameSync } = await import('node:fs');
    const slow = `${root}/migrations/001_slow.sql`;
    renameSync(slow, `${slow}.off`);
    assert.equal((await runCli(['migrate', '--root', root, '--json', '--no-env-file'], env)).code, 0);
    renameSync(`${slow}.off`, slow);
    const human = runCli(['migrate', '--root', root, '--no-env-file'], env);
    await new Promise((r) => setTimeout(r, 700));
    await queryOn(db.url, `INSERT INTO _migrations (filename) VALUES ('001_slow.sql')`);
    const run = await human;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /ERROR 23505/);
    assert.doesNotMatch(run.stderr, /not recorded/, 'the file is recorded (by another writer)');
    assert.match(run.stderr, /rolled back/);
  });
});
