// `-- migrate:no-transaction` files on a real database: applied statement by
// statement outside a transaction, recorded once; a failure in the middle keeps the
// earlier statements and names its line; an INVALID index left by a failed
// concurrent build is rebuilt; a gone runner's claim is taken over; eight runners
// at once, directly and through PgBouncer in transaction mode, each file once.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, connectForTest, type Backend, type TestDatabaseHandle } from './support/backends.js';
import { pgbouncerUnavailable, startPgbouncer } from './support/pgbouncer.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject, type CliRun } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;
const THEME = { 'contents/themes/t1/config/theme.config.ts': themeConfig([]) };

type Query = <R = Record<string, unknown>>(sql: string) => Promise<R[]>;

/** Runs `fn` with one client on `url` (opening PGlite costs a second or more: once per look, between runs). */
async function inspect<T>(url: string, fn: (query: Query) => Promise<T>): Promise<T> {
  const c = await connectForTest(url);
  try {
    return await fn(async <R,>(sql: string) => (await c.query<R>(sql)).rows);
  } finally {
    await c.close();
  }
}

/** Index name → valid, for the indexes of `table`. */
async function indexesOf(query: Query, table: string): Promise<Record<string, boolean>> {
  const rows = await query<{ name: string; valid: boolean }>(
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${table}'::regclass AND NOT i.indisprimary`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.valid]));
}

const status = (run: CliRun, filename: string) => run.json!.migrations.find((m) => m.filename === filename)?.status;
const notesOf = (run: CliRun, filename: string) => (run.json!.migrations.find((m) => m.filename === filename) as { notes?: string[] } | undefined)?.notes ?? [];

for (const backend of backends) {
  describe(`no-transaction files on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`no-transaction files on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    let db: TestDatabaseHandle;
    let root: string;
    after(async () => {
      if (root) removeProject(root);
      await db?.drop();
    });
    const cli = () => runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });

    test('a failing statement in the middle names its line, keeps the earlier ones, leaves an INVALID index; the re-run rebuilds it and records the file once', async () => {
      db = await backend.createDatabase();
      root = writeProject({
        ...THEME,
        'migrations/001_items.sql': "CREATE TABLE items (id INT PRIMARY KEY, code TEXT);\nINSERT INTO items SELECT g, 'c' || (g % 3) FROM generate_series(1, 30) g;\n",
        'migrations/002_indexes.sql': [
          '-- Migration: 002_indexes.sql',
          '-- migrate:no-transaction',
          'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_items_code ON items (code);', // 3
          "DO $$ BEGIN CREATE TABLE IF NOT EXISTS marker (note TEXT); INSERT INTO marker VALUES ('one; two'); END $$;", // 4: one statement
          '',
          '  CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_items_code ON items (code);', // 6: fails on duplicates
          'CREATE TABLE IF NOT EXISTS after_failure (id INT);', // 7
          '',
        ].join('\n'),
        'migrations/003_after.sql': 'CREATE TABLE after_indexes (id INT);\n',
      });
      const first = await cli();
      assert.equal(first.code, 1, first.stderr);
      const error = first.json!.error as NonNullable<CliRun['json']>['error'] & { rolledBack?: boolean; recorded?: boolean };
      assert.equal(error.code, 'MIGRATION_FAILED');
      assert.equal(error.file, 'migrations/002_indexes.sql');
      assert.equal(error.line, 6);
      assert.equal(error.column, 3);
      assert.equal(error.sqlstate, '23505');
      assert.equal(error.rolledBack, false);
      assert.equal(error.recorded, false);
      assert.match(error.fix!, /Statements 1–2 of 4 \(lines 3–4\) ran and stay applied/);
      assert.match(error.fix!, /re-runs it from its first statement/);
      assert.equal(status(first, '001_items.sql'), 'applied');
      assert.equal(status(first, '002_indexes.sql'), 'failed');
      assert.equal(status(first, '003_after.sql'), 'pending');
      // The statements before the failing one stay; the one after never ran; nothing recorded, no claim left.
      await inspect(db.url, async (query) => {
        assert.deepEqual(await indexesOf(query, 'items'), { idx_items_code: true, uq_items_code: false });
        assert.deepEqual(await query('SELECT note FROM marker'), [{ note: 'one; two' }]);
        assert.deepEqual(await query("SELECT to_regclass('after_failure')::text AS t"), [{ t: null }]);
        assert.deepEqual(await query('SELECT filename FROM _migrations ORDER BY 1'), [{ filename: '001_items.sql' }]);
        assert.deepEqual(await query('SELECT count(*)::int AS n FROM _migrations_claims'), [{ n: 0 }]);
        // Fixed data: the INVALID index is dropped and built again (IF NOT EXISTS alone would keep it invalid).
        await query('DELETE FROM items WHERE id > 3');
      });
      const second = await cli();
      assert.equal(second.code, 0, JSON.stringify(second.json?.error));
      assert.equal(status(second, '002_indexes.sql'), 'applied');
      assert.equal(status(second, '003_after.sql'), 'applied');
      assert.deepEqual(notesOf(second, '002_indexes.sql').length, 1);
      assert.match(notesOf(second, '002_indexes.sql')[0]!, /dropped INVALID index uq_items_code/);
      await inspect(db.url, async (query) => {
        assert.deepEqual(await indexesOf(query, 'items'), { idx_items_code: true, uq_items_code: true });
        assert.deepEqual(await query("SELECT count(*)::int AS n FROM _migrations WHERE filename = '002_indexes.sql'"), [{ n: 1 }]);
        // What the statements took (measured by the runner), not the tracking row's own transaction.
        const [row] = await query<{ duration_ms: number }>("SELECT duration_ms FROM _migrations WHERE filename = '002_indexes.sql'");
        assert.ok(row!.duration_ms >= 1, String(row!.duration_ms));
      });

    });

    test("a claim whose runner stopped answering (SIGKILL) is taken over, and said so", async () => {
      addFiles(root, { 'migrations/004_more.sql': '-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_items_id_code ON items (id, code);\n' });
      // What a runner killed mid-file leaves: its claim, silent for an hour.
      await inspect(db.url, (query) =>
        query(`INSERT INTO _migrations_claims (file_key, runner, claimed_at, heartbeat_at) VALUES ('["_migrations","004_more.sql"]', 'killed-runner', now() - interval '1 hour', now() - interval '1 hour')`),
      );
      const run = await cli();
      assert.equal(run.code, 0, JSON.stringify(run.json?.error));
      assert.equal(status(run, '004_more.sql'), 'applied');
      assert.match(notesOf(run, '004_more.sql').join('\n'), /took over the claim of a runner silent for/);
      await inspect(db.url, async (query) => {
        assert.deepEqual(await query('SELECT count(*)::int AS n FROM _migrations_claims'), [{ n: 0 }]);
        assert.equal((await indexesOf(query, 'items')).idx_items_id_code, true);
      });
    });
  });
}

/**
 * A corpus of 20 files with two no-transaction files in the middle, each of which
 * logs its run in `runs_log` (no unique key): a file applied twice shows twice.
 * The ordinary files are not re-runnable either (CREATE TABLE without IF NOT EXISTS).
 */
function concurrentCorpus(): Record<string, string> {
  const files: Record<string, string> = {
    ...THEME,
    'migrations/001_big.sql': "CREATE TABLE big (id INT, code TEXT);\nINSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 100000) g;\nCREATE TABLE runs_log (file TEXT);\nINSERT INTO runs_log VALUES ('001');\n",
  };
  const noTransaction: Record<number, string> = {
    8: "-- migrate:no-transaction\nINSERT INTO runs_log VALUES ('008');\nSELECT pg_sleep(0.3);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_big_code ON big (code);\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_big_id ON big (id);\n",
    14: "-- migrate:no-transaction\nINSERT INTO runs_log VALUES ('014');\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_big_id_code ON big (id, code);\nVACUUM ANALYZE big;\n",
  };
  for (let i = 2; i <= 20; i++) {
    const n = String(i).padStart(3, '0');
    files[`migrations/${n}_step.sql`] = noTransaction[i] ?? `CREATE TABLE step_${i} (id INT);\nINSERT INTO runs_log VALUES ('${n}');\n`;
  }
  return files;
}

async function eightRunners(url: string, root: string): Promise<void> {
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' })));
  const seconds = (performance.now() - started) / 1000;
  for (const run of runs) assert.equal(run.code, 0, run.stderr || JSON.stringify(run.json?.error));
  assert.ok(seconds < 90, `eight runners took ${seconds.toFixed(1)} s`);
  const applied = runs.flatMap((r) => r.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.filename));
  assert.equal(applied.length, 20, applied.join(' '));
  assert.equal(new Set(applied).size, 20);
  console.log(`# eight runners: ${seconds.toFixed(1)} s`);
}

async function checkConcurrentOutcome(url: string): Promise<void> {
  await inspect(url, async (query) => {
    const log = await query<{ file: string; n: number }>('SELECT file, count(*)::int AS n FROM runs_log GROUP BY file ORDER BY file');
    assert.equal(log.length, 20);
    assert.ok(log.every((r) => r.n === 1), JSON.stringify(log.filter((r) => r.n !== 1)));
    assert.deepEqual(await query('SELECT count(*)::int AS n FROM _migrations'), [{ n: 20 }]);
    assert.deepEqual(await query('SELECT count(*)::int AS n FROM _migrations_claims'), [{ n: 0 }]);
    assert.deepEqual(await indexesOf(query, 'big'), { idx_big_code: true, uq_big_id: true, idx_big_id_code: true });
  });
}

test('a long statement keeps its claim alive: the heartbeat comes from a second connection while the first is busy', { timeout: 60_000 }, async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const root = writeProject({ ...THEME, 'migrations/001_slow.sql': '-- migrate:no-transaction\nSELECT pg_sleep(3.5);\n' });
  const watcher = await connectForTest(db.url);
  try {
    const run = runCli(['migrate', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    let finished = false;
    void run.then(() => (finished = true));
    let longest = 0;
    while (!finished) {
      const rows = await watcher
        .query<{ beat: number }>('SELECT extract(epoch FROM heartbeat_at - claimed_at)::float8 AS beat FROM _migrations_claims')
        .then((r) => r.rows, () => []);
      for (const r of rows) longest = Math.max(longest, Number(r.beat));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result = await run;
    assert.equal(result.code, 0, JSON.stringify(result.json?.error));
    assert.ok(longest >= 1.5, `the claim's heartbeat moved ${longest} s past its claim during a 3.5 s statement`);
  } finally {
    await watcher.close();
    removeProject(root);
    await db.drop();
  }
});

test('eight runners at once on a corpus with no-transaction files in the middle: each file once, indexes valid, within the bound', { timeout: 120_000 }, async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const root = writeProject(concurrentCorpus());
  try {
    await eightRunners(db.url, root);
    await checkConcurrentOutcome(db.url);
  } finally {
    removeProject(root);
    await db.drop();
  }
});

test('the same eight runners through PgBouncer in transaction mode (two server connections)', { timeout: 120_000 }, async (t) => {
  const reason = server.skipReason ?? pgbouncerUnavailable();
  if (reason) return t.skip(reason);
  const db = await server.createDatabase();
  const bouncer = await startPgbouncer(db.url, 2);
  const root = writeProject(concurrentCorpus());
  try {
    await eightRunners(bouncer.urlFor(db.url), root);
    await checkConcurrentOutcome(db.url);
  } finally {
    bouncer.stop();
    removeProject(root);
    await db.drop();
  }
});
