// Lock timeouts with retries, on a real server: a table locked by another session
// makes the runner roll the file back, pause and try again, naming the session in
// the way; it gives up cleanly within its bound (exit 1, nothing recorded, a re-run
// safe) or succeeds once the lock is released. statement_timeout cuts a slow
// statement without a replay. PGlite is one connection: nothing can hold a lock
// against the runner there, so these run on the server only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, connectForTest, type TestClient, type TestDatabaseHandle } from './support/backends.js';
import { pgbouncerUnavailable, startPgbouncer } from './support/pgbouncer.js';
import { migrate } from '../src/index.js';
import type { RunEvent } from '../src/index.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject, type CliJson } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;
const pglite = backends.find((b) => b.name === 'pglite')!;

interface LockWaitJson {
  attempt: number;
  attempts: number;
  waitedMs: number;
  lockTimeoutMs: number;
  retryInMs: number | null;
  blocker: { waitingPid: number; table: string | null; lock: string; holders: { pid: number; applicationName: string | null; state: string | null; transactionMs: number | null; query: string | null }[] } | null;
}
type MigrationJson = CliJson['migrations'][number] & { lockWaits?: LockWaitJson[] };

/** A session of the test's own that holds `LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE` in an open transaction. */
async function holdLock(url: string, table: string): Promise<{ pid: number; client: TestClient; release(): Promise<void> }> {
  const client = await connectForTest(url);
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  await client.exec(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  let released = false;
  return {
    pid,
    client,
    async release() {
      if (released) return;
      released = true;
      await client.exec('COMMIT');
      await client.close();
    },
  };
}

test('lock timeouts on pglite', (t) => {
  t.skip(`${pglite.name}: one connection in-process, no other session can hold a lock against the runner (no retries beyond the generic ones, no blocker report)`);
});

describe('lock timeouts with retries on postgres', { concurrency: false, timeout: 120_000 }, () => {
  if (server.skipReason) {
    test('lock timeouts on postgres', (t) => t.skip(server.skipReason!));
    return;
  }
  let db: TestDatabaseHandle;
  let root: string;
  const cleanup: (() => Promise<void> | void)[] = [];
  const env = () => ({ DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(['migrate', '--root', root, '--no-env-file', ...args], { ...env(), ...extra });
  const query = async <R = Record<string, unknown>>(sql: string): Promise<R[]> => {
    const c = await connectForTest(db.url);
    try {
      return (await c.query<R>(sql)).rows;
    } finally {
      await c.close();
    }
  };
  const recorded = async () => (await query<{ filename: string }>('SELECT filename FROM _migrations ORDER BY filename')).map((r) => r.filename);

  before(async () => {
    db = await server.createDatabase();
    root = writeProject({
      'contents/themes/t1/config/theme.config.ts': themeConfig([]),
      'migrations/001_t.sql': 'CREATE TABLE t (id INT);\n',
      // What a file sees: the run's limits, set after the reset to the session's defaults.
      'migrations/002_observe.sql': "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\n",
    });
    cleanup.push(() => db.drop(), () => removeProject(root));
    const first = await cli(['--json']);
    assert.equal(first.code, 0, JSON.stringify(first.json?.error ?? first.stderr));
  });
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('each file runs with lock_timeout 5s and no statement_timeout by default', async () => {
    assert.deepEqual(await query('SELECT lock_timeout, statement_timeout FROM seen'), [{ lock_timeout: '5s', statement_timeout: '0' }]);
  });

  test('a table locked by another session: the file is retried, the holder named by pid, then given up cleanly; a re-run after the holder commits succeeds', async () => {
    addFiles(root, { 'migrations/003_alter.sql': 'ALTER TABLE t ADD COLUMN c INT;\n' });
    const holder = await holdLock(db.url, 't');
    cleanup.push(() => holder.release());
    const started = performance.now();
    const run = await cli(['--json', '--lock-timeout', '200ms', '--lock-retries', '3']);
    const tookMs = performance.now() - started;
    assert.equal(run.code, 1, run.stderr);
    const error = run.json!.error! as CliJson['error'] & { recorded?: boolean };
    assert.equal(error.code, 'MIGRATION_FAILED');
    assert.equal(error.sqlstate, '55P03');
    assert.equal(error.file, 'migrations/003_alter.sql');
    assert.equal(error.recorded, false);
    assert.match(error.fix ?? '', /running again is safe/);
    assert.match(error.fix ?? '', new RegExp(`pid ${holder.pid}\\b`), 'the hint names the holder');

    const file = (run.json!.migrations as MigrationJson[]).find((m) => m.filename === '003_alter.sql')!;
    assert.equal(file.status, 'failed');
    const waits = file.lockWaits ?? [];
    assert.deepEqual(waits.map((w) => [w.attempt, w.attempts]), [[1, 4], [2, 4], [3, 4], [4, 4]]);
    for (const w of waits) {
      assert.equal(w.lockTimeoutMs, 200);
      assert.ok(w.waitedMs >= 150, `each attempt waited for its lock_timeout (${w.waitedMs} ms)`);
    }
    assert.ok(waits.slice(0, 3).every((w) => w.retryInMs !== null && w.retryInMs > 0), 'a pause before every retry');
    assert.equal(waits[3]!.retryInMs, null);
    const seen = waits.filter((w) => w.blocker !== null);
    assert.ok(seen.length >= 1, 'the holder was seen while the file waited');
    for (const w of seen) {
      assert.match(w.blocker!.table ?? '', /^(public\.)?t$/);
      assert.equal(w.blocker!.holders[0]!.pid, holder.pid, "the blocker is the holder's pg_backend_pid()");
      assert.equal(w.blocker!.holders[0]!.state, 'idle in transaction');
      assert.match(w.blocker!.holders[0]!.query ?? '', /LOCK TABLE t/i);
      assert.ok((w.blocker!.holders[0]!.transactionMs ?? -1) >= 0);
    }
    // Bound: 4 × 200 ms of waiting and 3 pauses of at most 0.4·2^k·1.2 lock timeouts, plus start-up.
    assert.ok(tookMs < 15_000, `gave up within the bound (${Math.round(tookMs)} ms)`);
    assert.deepEqual(await recorded(), ['001_t.sql', '002_observe.sql'], 'not recorded');
    assert.deepEqual(await query(`SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'`), [], 'not applied');

    await holder.release();
    const again = await cli(['--json', '--lock-timeout', '200ms', '--lock-retries', '3']);
    assert.equal(again.code, 0, JSON.stringify(again.json?.error));
    const applied = (again.json!.migrations as MigrationJson[]).find((m) => m.filename === '003_alter.sql')!;
    assert.equal(applied.status, 'applied');
    assert.equal(applied.lockWaits, undefined, 'no lock wait when the table is free');
    assert.deepEqual(await recorded(), ['001_t.sql', '002_observe.sql', '003_alter.sql']);
  });

  test('the holder releases during the retries: the run succeeds, and the human output names the holder on each wait', async () => {
    addFiles(root, { 'migrations/004_alter.sql': 'ALTER TABLE t ADD COLUMN d INT;\n' });
    const holder = await holdLock(db.url, 't');
    cleanup.push(() => holder.release());
    const running = cli(['--lock-timeout', '200ms', '--lock-retries', '30']);
    // Release once the runner has timed out twice (its third wait seen from outside).
    const deadline = Date.now() + 15_000;
    let waitsSeen = 0;
    let waitingBefore = false;
    while (waitsSeen < 3 && Date.now() < deadline) {
      const waiting = (await holder.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 't'::regclass AND NOT granted`)).rows[0]!.n > 0;
      if (waiting && !waitingBefore) waitsSeen++;
      waitingBefore = waiting;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(waitsSeen, 3, 'the runner came back for the lock after each timeout');
    await holder.release();
    const run = await running;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /004_alter\.sql: lock_timeout 200ms expired after .*\(attempt 1\/31\), rolled back, retrying in/);
    assert.match(run.stdout, new RegExp(`004_alter\\.sql: lock_timeout .* held by pid ${holder.pid}\\b`), 'a wait names the holder');
    assert.match(run.stdout, /Retrying 004_alter\.sql \(attempt 2\/31\)/);
    assert.match(run.stdout, /004_alter\.sql executed successfully|Successfully executed 004_alter\.sql/);
    assert.deepEqual(await recorded(), ['001_t.sql', '002_observe.sql', '003_alter.sql', '004_alter.sql']);
  });

  test('--statement-timeout cuts a slow statement: exit 1, not recorded, and the file is not replayed', async () => {
    addFiles(root, {
      'migrations/005_counter.sql': 'CREATE SEQUENCE runs_of_006;\n',
      // nextval is not rolled back: it counts how often the file's statements ran.
      'migrations/006_slow.sql': "SELECT nextval('runs_of_006');\nSELECT pg_sleep(2);\n",
    });
    const run = await cli(['--json', '--statement-timeout', '100ms']);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.json!.error!.sqlstate, '57014');
    assert.equal(run.json!.error!.file, 'migrations/006_slow.sql');
    assert.match(run.json!.error!.fix ?? '', /statement_timeout 100ms/);
    assert.deepEqual(await query('SELECT last_value::int AS n FROM runs_of_006'), [{ n: 1 }], 'ran once: no replay to locate the statement');
    assert.ok(!(await recorded()).includes('006_slow.sql'));
    removeProject(`${root}/migrations/006_slow.sql`);
  });

  test('bad values are usage or configuration errors (exit 2) that change nothing', async () => {
    addFiles(root, { 'migrations/007_seen_env.sql': "CREATE TABLE seen_env AS SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\n" });
    const cases: [string[], Record<string, string>, string, RegExp][] = [
      [['--lock-timeout', '5S'], {}, 'USAGE', /--lock-timeout: "5S" is not a duration/],
      [['--lock-timeout', '5sec'], {}, 'USAGE', /--lock-timeout/],
      [['--statement-timeout=-1s'], {}, 'USAGE', /--statement-timeout: "-1s" is negative/],
      [['--lock-retries', 'many'], {}, 'USAGE', /--lock-retries/],
      [[], { MIGRATE_LOCK_TIMEOUT: '1 fortnight' }, 'CONFIG', /MIGRATE_LOCK_TIMEOUT/],
      [[], { MIGRATE_LOCK_RETRIES: '2.5' }, 'CONFIG', /MIGRATE_LOCK_RETRIES/],
      [[], { MIGRATE_STATEMENT_TIMEOUT: '3000000000' }, 'CONFIG', /MIGRATE_STATEMENT_TIMEOUT: "3000000000" is too large/],
    ];
    for (const [args, extra, code, message] of cases) {
      const run = await cli(['--json', ...args], extra);
      assert.equal(run.code, 2, `${args.join(' ')} ${JSON.stringify(extra)}: ${run.stdout}`);
      assert.equal(run.json!.error!.code, code);
      assert.match(run.json!.error!.message, message);
      assert.ok(run.json!.error!.hint, 'with a hint');
    }
    assert.deepEqual(await query(`SELECT 1 FROM pg_tables WHERE tablename = 'seen_env'`), []);
    // Good variables are taken: the file runs under them.
    const ok = await cli(['--json'], { MIGRATE_LOCK_TIMEOUT: '1.5s', MIGRATE_STATEMENT_TIMEOUT: '1min' });
    assert.equal(ok.code, 0, JSON.stringify(ok.json?.error));
    assert.deepEqual(await query('SELECT lock_timeout, statement_timeout FROM seen_env'), [{ lock_timeout: '1500ms', statement_timeout: '1min' }]);
  });

  test('the API takes lockTimeout / lockRetries and reports each attempt to onEvent', async () => {
    addFiles(root, { 'migrations/008_alter.sql': 'ALTER TABLE t ADD COLUMN e INT;\n' });
    const holder = await holdLock(db.url, 't');
    cleanup.push(() => holder.release());
    const events: RunEvent[] = [];
    const result = await migrate({ root, database: db.url, theme: 't1', coreDir: 'migrations', lockTimeout: '150ms', lockRetries: 1, onEvent: (e) => events.push(e) });
    await holder.release();
    assert.equal(result.ok, false);
    assert.equal(result.error!.sqlstate, '55P03');
    const kinds = events.filter((e) => e.type === 'file:lock-timeout' || e.type === 'file:retry').map((e) => (e.type === 'file:retry' ? `retry ${e.attempt}/${e.attempts}` : `timeout ${e.attempt}/${e.attempts}`));
    assert.deepEqual(kinds, ['timeout 1/2', 'retry 2/2', 'timeout 2/2']);
    assert.equal(result.migrations.find((m) => m.filename === '008_alter.sql')!.lockWaits!.length, 2);
    const bad = await migrate({ root, database: db.url, theme: 't1', coreDir: 'migrations', lockTimeout: '1 week' });
    assert.equal(bad.error!.code, 'USAGE');
    assert.match(bad.error!.message, /the lockTimeout option/);
  });

  test('through PgBouncer in transaction mode: the limits hold, and the holder is found from a second server connection', async (t) => {
    const reason = pgbouncerUnavailable();
    if (reason) return t.skip(reason);
    const bouncer = await startPgbouncer(db.url, 2);
    cleanup.push(() => bouncer.stop());
    const holder = await holdLock(db.url, 't');
    cleanup.push(() => holder.release());
    const run = await runCli(['migrate', '--root', root, '--no-env-file', '--json', '--lock-timeout', '300ms', '--lock-retries', '1'], { ...env(), DATABASE_URL: bouncer.urlFor(db.url) });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.json!.error!.sqlstate, '55P03');
    const waits = (run.json!.migrations as MigrationJson[]).find((m) => m.filename === '008_alter.sql')!.lockWaits ?? [];
    assert.equal(waits.length, 2);
    const seen = waits.find((w) => w.blocker !== null);
    assert.ok(seen, 'the holder was seen through the pooler');
    assert.equal(seen.blocker!.holders[0]!.pid, holder.pid);
    assert.ok(!(await recorded()).includes('008_alter.sql'));
    await holder.release();
  });
});
