// The contract every database adapter must pass, run against each backend.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from './support/backends.js';
import { openDatabase, resolveTarget } from '../src/db/connect.js';
import { DatabaseError } from '../src/core/errors.js';
import type { Database } from '../src/db/driver.js';

for (const backend of backends) {
  describe(`database adapter: ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`adapter ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    let handle: Awaited<ReturnType<typeof backend.createDatabase>> | null = null;
    let db: Database | null = null;
    const open = async () => {
      handle ??= await backend.createDatabase();
      db ??= await openDatabase(resolveTarget('/', { DATABASE_URL: handle.url }));
      return db;
    };
    after(async () => {
      await db?.close();
      await handle?.drop();
    });

    test('exec runs a multi-statement script; query takes parameters', async () => {
      const d = await open();
      await d.exec('CREATE TABLE t (id INT PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, $$a;b$$);\nINSERT INTO t VALUES (2, \'c\');');
      const rows = await d.query<{ v: string }>('SELECT v FROM t WHERE id = ANY($1::int[]) ORDER BY id', [[1, 2]]);
      assert.deepEqual(rows.map((r) => r.v), ['a;b', 'c']);
    });

    test('a transaction that throws is rolled back; one that returns is committed', async () => {
      const d = await open();
      await assert.rejects(
        d.transaction(async (tx) => {
          await tx.exec('INSERT INTO t VALUES (10, \'x\')');
          throw new Error('stop');
        }),
        /stop/,
      );
      assert.equal((await d.query('SELECT 1 FROM t WHERE id = 10')).length, 0);
      const value = await d.transaction(async (tx) => {
        await tx.exec('INSERT INTO t VALUES (11, \'y\')');
        return 42;
      }, { lock: 'exclusive' });
      assert.equal(value, 42);
      assert.equal((await d.query('SELECT 1 FROM t WHERE id = 11')).length, 1);
    });

    test('server errors become DatabaseError with SQLSTATE and the position in the script', async () => {
      const d = await open();
      const error = await d.exec('SELECT 1;\nSELECT nope FROM t;').then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof DatabaseError);
      assert.equal(error.pg.sqlstate, '42703');
      assert.equal(error.pg.position, 18);
      const unique = await d.exec('INSERT INTO t VALUES (1, \'dup\')').then(() => null, (e: unknown) => e);
      assert.ok(unique instanceof DatabaseError);
      assert.equal(unique.pg.sqlstate, '23505');
      assert.match(unique.pg.detail ?? '', /Key \(id\)=\(1\) already exists/);
    });

    test('transactions run at READ COMMITTED whatever the session default; the prelude is read after BEGIN', async () => {
      const d = await open();
      await d.exec("SET default_transaction_isolation = 'serializable'");
      try {
        const [level, rows] = await d.transaction(
          async (tx, prelude) => [(await tx.query<{ l: string }>(`SELECT current_setting('transaction_isolation') AS l`))[0]!.l, prelude],
          { lock: 'exclusive', prelude: `SELECT current_setting('transaction_isolation') AS l` },
        );
        assert.equal(level, 'read committed');
        assert.deepEqual(rows, [{ l: 'read committed' }]);
      } finally {
        await d.exec('RESET default_transaction_isolation');
      }
    });

    test('sessionDefaultsSql restores settings, role and session authorization, and is undone by a rollback', async () => {
      const d = await open();
      const seen = `SELECT current_setting('search_path') AS sp, current_user::text AS u, session_user::text AS s`;
      const before = await d.query(seen);
      await d.transaction(async (tx) => {
        await tx.exec(`SET search_path TO pg_catalog; SET SESSION AUTHORIZATION pg_monitor; SET ROLE pg_monitor; ${d.sessionDefaultsSql}`);
        assert.deepEqual(await tx.query(seen), before);
      });
      assert.deepEqual(await d.query(seen), before);
      await assert.rejects(
        d.transaction(async (tx) => {
          await tx.exec(`SET search_path TO pg_catalog; SET SESSION AUTHORIZATION pg_monitor`);
          throw new Error('stop');
        }),
        /stop/,
      );
      assert.deepEqual(await d.query(seen), before, 'a rolled-back SET leaves nothing');
    });

    if (backend.name === 'postgres') {
      test('exclusive transactions of two connections run one after the other', async () => {
        const d = await open();
        const other = await openDatabase(resolveTarget('/', { DATABASE_URL: handle!.url }));
        try {
          const order: string[] = [];
          let releaseFirst!: () => void;
          const firstHolds = new Promise<void>((r) => (releaseFirst = r));
          let firstStarted!: () => void;
          const started = new Promise<void>((r) => (firstStarted = r));
          const first = d.transaction(async () => {
            order.push('first:start');
            firstStarted();
            await firstHolds;
            order.push('first:end');
          }, { lock: 'exclusive' });
          await started;
          const second = other.transaction(async () => {
            order.push('second');
          }, { lock: 'exclusive' });
          await new Promise((r) => setTimeout(r, 300));
          assert.deepEqual(order, ['first:start'], 'the second waits for the lock');
          releaseFirst();
          await Promise.all([first, second]);
          assert.deepEqual(order, ['first:start', 'first:end', 'second']);
        } finally {
          await other.close();
        }
      });
    }
  });
}

test('sslmode keeps its libpq meaning: prefer and allow fall back, require does not verify, none forces nothing', async () => {
  const { connectionAttempts } = await import('../src/db/postgres.js');
  assert.deepEqual(connectionAttempts('postgres://u@h/db'), ['postgres://u@h/db']);
  assert.deepEqual(connectionAttempts('postgres://u@h/db?sslmode=require'), ['postgres://u@h/db?sslmode=require&uselibpqcompat=true']);
  assert.deepEqual(connectionAttempts('postgres://u@h/db?sslmode=prefer'), [
    'postgres://u@h/db?sslmode=prefer&uselibpqcompat=true',
    'postgres://u@h/db?sslmode=disable&uselibpqcompat=true',
  ]);
  assert.equal(connectionAttempts('postgres://u@h/db?sslmode=allow')[0], 'postgres://u@h/db?sslmode=disable&uselibpqcompat=true');
  const server = backends.find((b) => b.name === 'postgres')!;
  if (server.skipReason) return;
  const handle = await server.createDatabase();
  try {
    const url = new URL(handle.url);
    url.searchParams.set('sslmode', 'prefer');
    const db = await openDatabase(resolveTarget('/', { DATABASE_URL: url.toString() }));
    assert.deepEqual(await db.query<{ one: number }>('SELECT 1 AS one'), [{ one: 1 }]);
    await db.close();
  } finally {
    await handle.drop();
  }
});
