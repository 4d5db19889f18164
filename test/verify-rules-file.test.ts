// Static rules that read one file: each fires at an exact line and column, and a
// near-miss (the keyword in a comment, a string, a dollar-quoted body, a quoted
// identifier) does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, body, check, cleanTable, places } from './fixtures/verify/helpers.js';

const M = 'migrations/002_x.sql';
const file = (...lines: string[]) => ({ [M]: body('002_x.sql', ...lines) });

test('the clean base and a clean table raise nothing', async () => {
  const r = await check(file(...cleanTable('notes')));
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.files, ['migrations/001_base.sql', M]);
});

test('syntax: reported where the parser stopped, columns counted in characters', async () => {
  const r = await check(file('SELECT 1;', "SELECT 'é😀' FROM ,;"));
  assert.deepEqual(places(r.findings), [`${M}:5:18 syntax`]);
  assert.match(r.findings[0]!.message, /syntax error at or near ","/);
  assert.equal(r.findings[0]!.severity, 'error');
});

test('syntax: a DO block whose body does not parse is reported at the DO', async () => {
  const r = await check(file('SELECT 1;', '  DO $$ BEGIN IF THEN NULL; END IF; END $$;'));
  assert.deepEqual(places(r.findings), [`${M}:5:3 syntax`]);
  assert.match(r.findings[0]!.message, /in DO block/);
});

test('syntax: near-miss, broken SQL inside strings, comments and dollar quotes is fine', async () => {
  const r = await check(file("SELECT 'SELEC ,, (';", '-- SELEC ,,', '/* CREATE TABLE ( */ SELECT $q$ )) ;; $q$;'));
  assert.deepEqual(r.findings, []);
});

test('naming: a name off NNN_snake_case.sql, and two files with one number in a folder', async () => {
  const r = await check({
    'migrations/2_Add-Thing.sql': body('2_Add-Thing.sql', 'SELECT 1;'),
    'migrations/003_a.sql': body('003_a.sql', 'SELECT 1;'),
    'migrations/003_b.sql': body('003_b.sql', 'SELECT 1;'),
  });
  assert.deepEqual(places(r.findings, 'naming'), ['migrations/2_Add-Thing.sql:1:1 naming', 'migrations/003_b.sql:1:1 naming']);
  assert.match(r.findings.find((f) => f.file === 'migrations/003_b.sql')!.message, /shares its number with 003_a\.sql/);
  assert.match(r.findings.find((f) => f.file === 'migrations/2_Add-Thing.sql')!.fix, /002_add_thing\.sql/);
});

test('naming: near-miss, one number in two entity folders is the global entity numbering', async () => {
  const r = await check({
    'contents/themes/t/entities/tasks/migrations/001_create_tasks.sql': body('001_create_tasks.sql', 'SELECT 1;'),
    'contents/themes/t/entities/notes/migrations/001_create_notes.sql': body('001_create_notes.sql', 'SELECT 1;'),
  });
  assert.deepEqual(r.findings, []);
});

test('sequence: a gap in a folder, and a folder that does not start at 001', async () => {
  const r = await check({
    'migrations/002_a.sql': body('002_a.sql', 'SELECT 1;'),
    'migrations/004_b.sql': body('004_b.sql', 'SELECT 1;'),
    'contents/themes/t/migrations/002_late.sql': body('002_late.sql', 'SELECT 1;'),
  });
  assert.deepEqual(places(r.findings), ['migrations/004_b.sql:1:1 sequence', 'contents/themes/t/migrations/002_late.sql:1:1 sequence']);
  assert.match(r.findings[0]!.message, /jump from 002 to 004: 003 missing/);
  assert.match(r.findings[1]!.message, /start at 002: 001 missing/);
  assert.equal(r.findings[0]!.severity, 'warning');
});

test('sequence: entity numbers are judged across all entities of the setup', async () => {
  const entity = (e: string, name: string) => [`contents/themes/t/entities/${e}/migrations/${name}`, body(name, 'SELECT 1;')] as const;
  const filled = await check(Object.fromEntries([entity('tasks', '001_a.sql'), entity('tasks', '003_c.sql'), entity('notes', '002_b.sql')]));
  assert.deepEqual(filled.findings, [], 'a folder gap filled by another entity is no gap');
  const gap = await check(Object.fromEntries([entity('tasks', '001_a.sql'), entity('notes', '003_c.sql')]));
  assert.deepEqual(places(gap.findings), ['contents/themes/t/entities/notes/migrations/003_c.sql:1:1 sequence']);
});

test('header: missing entirely, wrong file name, empty description, impossible date', async () => {
  const r = await check({
    'migrations/002_none.sql': 'SELECT 1;\n',
    'migrations/003_wrong.sql': '\n-- Migration: 002_copied.sql\n-- Description:\n-- Date: 2025-02-30\nSELECT 1;\n',
  });
  assert.deepEqual(places(r.findings), [
    'migrations/002_none.sql:1:1 header',
    'migrations/003_wrong.sql:2:1 header',
    'migrations/003_wrong.sql:3:1 header',
    'migrations/003_wrong.sql:4:1 header',
  ]);
  assert.match(r.findings[1]!.message, /002_copied\.sql.*003_wrong\.sql/);
  assert.match(r.findings[3]!.message, /2025-02-30/);
});

test('header: near-miss, the fields in a string or after the first statement do not count as a header', async () => {
  const r = await check({ 'migrations/002_late.sql': "SELECT '-- Migration: 002_late.sql';\n-- Migration: 002_late.sql\n-- Description: x\n-- Date: 2025-01-19\n" });
  assert.deepEqual(places(r.findings), ['migrations/002_late.sql:1:1 header']);
  const ok = await check({ 'migrations/002_ok.sql': '-- Migration: 002_ok.sql\n-- Description: fine\n/* a block comment */\n-- Date: 2025-01-19\nSELECT 1;\n' });
  assert.deepEqual(ok.findings, []);
});

test('idempotent: CREATE without IF NOT EXISTS / OR REPLACE, unnamed index, DROP without IF EXISTS', async () => {
  const r = await check(
    file(
      '  CREATE TABLE t1 (id TEXT);', // 4
      'CREATE INDEX idx_t1_id ON t1 (id);', // 5
      'CREATE INDEX ON t1 (id);', // 6
      'CREATE SEQUENCE s1;', // 7
      'CREATE SCHEMA app;', // 8
      'CREATE EXTENSION pgcrypto;', // 9
      'CREATE FUNCTION f1() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;', // 10
      'CREATE VIEW v1 AS SELECT 1;', // 11
      'CREATE TYPE mood AS ENUM (\'ok\');', // 12
      'DROP TABLE old_things;', // 13
      'ALTER TABLE t1 DROP COLUMN gone;', // 14
    ),
  );
  assert.deepEqual(
    places(r.findings, 'idempotent'),
    [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((line) => `${M}:${line}:${line === 4 ? 3 : 1} idempotent`),
  );
  assert.ok(r.findings.filter((f) => f.rule === 'idempotent').every((f) => f.severity === 'error'));
});

test('idempotent: near-miss, keywords in comments, strings, dollar-quoted bodies and quoted identifiers', async () => {
  const r = await check(
    file(
      '-- CREATE TABLE t1 (id TEXT); DROP TABLE t2;',
      '/* CREATE INDEX i ON t (x); */',
      "SELECT 'CREATE TABLE t3 (id int)', $x$ DROP TABLE t4 $x$;",
      'CREATE OR REPLACE FUNCTION f2() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE t5 (id int); DROP TABLE t5; END $$;',
      'CREATE TABLE IF NOT EXISTS "CREATE TABLE" (id TEXT);',
      'CREATE UNIQUE INDEX IF NOT EXISTS "DROP INDEX" ON "CREATE TABLE" (id);',
      'DROP VIEW IF EXISTS v2;',
    ),
  );
  assert.deepEqual(places(r.findings, 'idempotent'), []);
});

test('idempotent: CREATE TRIGGER and CREATE POLICY need the DROP … IF EXISTS of that object before them', async () => {
  const r = await check(
    file(
      'CREATE TABLE IF NOT EXISTS t (id TEXT);', // 4
      'CREATE TRIGGER t_a BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();', // 5 fires: no drop
      'DROP TRIGGER IF EXISTS t_other ON t;', // 6
      'CREATE TRIGGER t_b BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();', // 7 fires: other trigger dropped
      'DROP TRIGGER IF EXISTS t_c ON public.t;', // 8
      'CREATE TRIGGER t_c BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();', // 9 ok (public.t is t)
      'CREATE OR REPLACE TRIGGER t_d BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();', // 10 ok
      'CREATE POLICY p_a ON t USING (true);', // 11 fires
      'DROP POLICY IF EXISTS p_b ON t;', // 12
      'CREATE POLICY p_b ON t USING (true);', // 13 ok
      'CREATE POLICY p_c ON t USING (true);', // 14 fires: dropped after
      'DROP POLICY IF EXISTS p_c ON t;', // 15
    ),
  );
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:5:1 idempotent`, `${M}:7:1 idempotent`, `${M}:11:1 idempotent`, `${M}:14:1 idempotent`]);
});

test('idempotent: ADD COLUMN needs IF NOT EXISTS or the documented DO … information_schema.columns pattern', async () => {
  const r = await check(
    file(
      'CREATE TABLE IF NOT EXISTS t (id TEXT);', // 4
      'ALTER TABLE t ADD COLUMN a TEXT;', // 5 fires at "a" (col 26)
      'ALTER TABLE t ADD COLUMN IF NOT EXISTS b TEXT;', // 6
      'DO $$', // 7
      'BEGIN', // 8
      '  IF NOT EXISTS (', // 9
      "    SELECT 1 FROM information_schema.columns WHERE table_name = 't' AND column_name = 'c'", // 10
      '  ) THEN', // 11
      '    ALTER TABLE t ADD COLUMN c TEXT;', // 12 guarded
      '  END IF;', // 13
      '  ALTER TABLE t ADD COLUMN d TEXT;', // 14 fires at "d" (col 28)
      "  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 't') THEN", // 15
      '    ALTER TABLE t ADD COLUMN e TEXT;', // 16 fires: the test is not about columns
      '  END IF;', // 17
      '  BEGIN ALTER TABLE t ADD COLUMN f TEXT; EXCEPTION WHEN duplicate_column THEN NULL; END;', // 18 guarded
      'END $$;', // 19
    ),
  );
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:5:26 idempotent`, `${M}:14:28 idempotent`, `${M}:16:30 idempotent`]);
});

test('idempotent: statements inside a tagged DO body are placed exactly, past non-ASCII text', async () => {
  const r = await check(
    file(
      'CREATE TABLE IF NOT EXISTS t (id TEXT);', // 4
      "DO LANGUAGE plpgsql $migrate$ -- café ☕ 😀", // 5
      'DECLARE note TEXT := \'naïve 😀\';', // 6
      'BEGIN', // 7
      "  RAISE NOTICE 'é'; ALTER TABLE t ADD COLUMN \"ünïcode\" TEXT;", // 8: the column name at 46
      'END $migrate$;', // 9
    ),
  );
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:8:46 idempotent`]);
});

test('transaction: statements that cannot run in a transaction, and explicit transaction control', async () => {
  const r = await check(
    file(
      'CREATE TABLE IF NOT EXISTS t (id TEXT);', // 4
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_id ON t (id);', // 5
      'BEGIN;', // 6
      'VACUUM t;', // 7
      'ALTER SYSTEM SET work_mem = \'64MB\';', // 8
      'COMMIT;', // 9
      'DO $$', // 10
      'BEGIN', // 11
      '  PERFORM 1;', // 12
      '    COMMIT;', // 13
      'END $$;', // 14
      'SAVEPOINT s1;', // 15: the engine refuses every transaction-control statement
    ),
  );
  assert.deepEqual(places(r.findings, 'transaction'), [5, 6, 7, 8, 9].map((l) => `${M}:${l}:1 transaction`).concat(`${M}:13:5 transaction`, `${M}:15:1 transaction`));
  assert.match(r.findings.find((f) => f.line === 5)!.message, /CREATE INDEX CONCURRENTLY/);
});

test('transaction: near-miss, BEGIN/END blocks of PL/pgSQL, strings and comments', async () => {
  const r = await check(
    file(
      'DO $$ BEGIN PERFORM 1; END $$;',
      'CREATE OR REPLACE FUNCTION f3() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;',
      "SELECT 'VACUUM; COMMIT;'; -- CREATE INDEX CONCURRENTLY x ON y (z);",
      'ANALYZE "user";',
    ),
  );
  assert.deepEqual(places(r.findings, 'transaction'), []);
});

test('hardcoded-data: literal ids and user ids outside sample data, at the literal', async () => {
  const r = await check(
    file(
      ...cleanTable('notes'), // 4-15
      'INSERT INTO "notes" ("userId", id) VALUES', // 16
      "  ('user-123', 'n1'),", // 17
      "  ('user-456', gen_random_uuid()::text);", // 18
    ),
  );
  assert.deepEqual(places(r.findings, 'hardcoded-data'), [`${M}:17:4 hardcoded-data`, `${M}:17:16 hardcoded-data`]);
  assert.match(r.findings[0]!.message, /"userId" \(2 rows\)/);
});

test('hardcoded-data: without a column list, the corpus says which column is which', async () => {
  const r = await check({
    ...file(...cleanTable('notes')),
    'migrations/003_seed.sql': body('003_seed.sql', "INSERT INTO notes SELECT 'n1', 'u1', now(), now();"),
  });
  assert.deepEqual(places(r.findings, 'hardcoded-data'), ['migrations/003_seed.sql:4:26 hardcoded-data', 'migrations/003_seed.sql:4:32 hardcoded-data']);
});

test('hardcoded-data: near-miss, sample-data files, looked-up ids, literals in other columns, commented INSERTs', async () => {
  const r = await check({
    ...file(
      ...cleanTable('notes'),
      `INSERT INTO "notes" ("userId") SELECT id FROM "user" WHERE email = 'alice@example.com';`,
      `-- INSERT INTO "notes" ("userId") VALUES ('user-123');`,
      `INSERT INTO "user" (email) VALUES ('user-123@example.com') ON CONFLICT DO NOTHING;`,
    ),
    'migrations/003_notes_sample_data.sql': body('003_notes_sample_data.sql', `INSERT INTO "notes" (id, "userId") VALUES ('n1', 'user-123');`),
  });
  assert.deepEqual(places(r.findings, 'hardcoded-data'), []);
});

test('BASE is what the other tests build on', () => {
  assert.ok(BASE['migrations/001_base.sql']!.startsWith('-- Migration: 001_base.sql'));
});
