// The `-- migrate:no-transaction` directive where it is read without a database:
// the header reader, the engine's pre-run file checks, db:verify's rules and db:new.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isNoTransaction } from '../src/sql/directives.js';
import { sqlFileProblems } from '../src/sql/file-checks.js';
import { baseProjects, body, check, migrationFile, places } from './fixtures/verify/helpers.js';
import { runCli, themeConfig } from './support/project.js';
import { verify } from '../src/api/verify.js';

const M = 'migrations/002_x.sql';
const DIRECTIVE = '-- migrate:no-transaction';

test('the directive counts only as a line comment of its own in the header', () => {
  assert.equal(isNoTransaction(`${DIRECTIVE}\nCREATE INDEX CONCURRENTLY i ON t (c);\n`), true);
  assert.equal(isNoTransaction(`\uFEFF-- Migration: 002_x.sql\n/* a block */\n--migrate:no-transaction  \r\nSELECT 1;\n`), true);
  assert.equal(isNoTransaction(body('002_x.sql', DIRECTIVE, 'SELECT 1;')), true);
  // Near misses: after the first statement, inside a string, inside a block comment, with more words.
  assert.equal(isNoTransaction(`SELECT 1;\n${DIRECTIVE}\nSELECT 2;\n`), false);
  assert.equal(isNoTransaction(`SELECT '\n${DIRECTIVE}\n';\n`), false);
  assert.equal(isNoTransaction(`/*\n${DIRECTIVE}\n*/\nSELECT 1;\n`), false);
  assert.equal(isNoTransaction(`${DIRECTIVE} please\nSELECT 1;\n`), false);
  assert.equal(isNoTransaction('SELECT 1;\n'), false);
});

test('file checks: a statement that needs no transaction is an error naming the directive, unless the file carries it', async () => {
  const without = migrationFile(M, body('002_x.sql', 'CREATE TABLE IF NOT EXISTS t (c TEXT);', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_c ON t (c);', 'VACUUM t;'));
  const problems = await sqlFileProblems([without]);
  assert.deepEqual(
    problems.map((p) => `${p.code} ${p.message}`),
    [`outside-transaction ${M}:5:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this file runs in one`, `outside-transaction ${M}:6:1: VACUUM cannot run inside a transaction block, and this file runs in one`],
  );
  assert.match(problems[0]!.hint!, /-- migrate:no-transaction/);
  // The first statement of a file: placed at its first word, after the header comments it spans.
  const first = migrationFile(M, body('002_x.sql', '/* why */ -- and how', 'REINDEX TABLE CONCURRENTLY t;'));
  assert.deepEqual((await sqlFileProblems([first])).map((p) => p.message.split(': ')[0]), [`${M}:5:1`]);

  const withDirective = migrationFile(M, body('002_x.sql', DIRECTIVE, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_c ON t (c);', 'VACUUM t;'));
  assert.deepEqual(await sqlFileProblems([withDirective]), []);
  // Transaction control stays refused; a file the parser cannot split is refused too.
  const control = migrationFile(M, body('002_x.sql', DIRECTIVE, 'SELECT 1;', 'COMMIT;'));
  assert.deepEqual((await sqlFileProblems([control])).map((p) => p.code), ['transaction-control']);
  const broken = migrationFile(M, body('002_x.sql', DIRECTIVE, 'SELEC 1;'));
  assert.deepEqual((await sqlFileProblems([broken])).map((p) => p.code), ['no-transaction-unparsed']);
});

test('verify: the transaction rule names the directive; with it, concurrent statements pass and non-re-runnable ones are errors', async () => {
  const plain = await check({ [M]: body('002_x.sql', 'CREATE TABLE IF NOT EXISTS t (c TEXT);', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_c ON t (c);') });
  assert.deepEqual(places(plain.findings, 'transaction'), [`${M}:5:1 transaction`]);
  assert.match(plain.findings.find((f) => f.rule === 'transaction')!.fix, /-- migrate:no-transaction/);

  const marked = await check({
    [M]: body(
      '002_x.sql',
      DIRECTIVE, // 4
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_t_c ON t (c);', // 5
      'CREATE INDEX CONCURRENTLY idx_t_c2 ON t (c);', // 6: not re-runnable
      'CREATE TABLE t2 (id INT);', // 7: not re-runnable
      'DROP INDEX CONCURRENTLY IF EXISTS idx_old;', // 8
      'BEGIN;', // 9: still refused
    ),
  });
  assert.deepEqual(places(marked.findings, 'transaction'), [`${M}:9:1 transaction`]);
  const idempotent = marked.findings.filter((f) => f.rule === 'idempotent' && f.file === M);
  assert.deepEqual(places(idempotent), [`${M}:6:1 idempotent`, `${M}:7:1 idempotent`]);
  for (const f of idempotent) {
    assert.equal(f.severity, 'error');
    assert.match(f.message, /no-transaction file, which is re-run from its first statement/);
  }
});

test('db:new --no-transaction writes the directive and a concurrent index template that the engine reads as such', async () => {
  const root = baseProjects()({ 'contents/themes/t1/config/theme.config.ts': themeConfig([]) });
  const run = await runCli(['new', '--root', root, '--no-env-file', '--no-transaction', '--table', 'user', 'index', 'user', 'email'], {});
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'migrations/002_index_user_email.sql\n');
  const text = readFileSync(path.join(root, 'migrations/002_index_user_email.sql'), 'utf8');
  assert.ok(text.startsWith('-- Migration: 002_index_user_email.sql\n'));
  assert.ok(text.includes(`\n${DIRECTIVE}\n`));
  assert.match(text, /CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_column_name\n {2}ON "user"\("column_name"\);/);
  assert.equal(isNoTransaction(text), true);
  const refused = await runCli(['new', '--root', root, '--no-env-file', '--no-transaction', 'sample', 'data'], {});
  assert.equal(refused.code, 2, refused.stderr);
});

test('verify --fresh --idempotency runs a no-transaction file as the engine does, and a second run of it statement by statement', async () => {
  const root = baseProjects()({
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'migrations/002_notes.sql': body('002_notes.sql', 'CREATE TABLE IF NOT EXISTS notes (id INT, title TEXT);'),
    'migrations/003_index.sql': body('003_index.sql', DIRECTIVE, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notes_title ON notes (title);'),
    // Its second statement fails on a second run (the rules flag it too; the shadow proves it).
    'migrations/004_index.sql': body('004_index.sql', DIRECTIVE, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notes_id ON notes (id);', 'CREATE TABLE once_only (id INT);'),
  });
  const report = await verify({ root, theme: 't1', coreDir: 'migrations', noDatabase: true, fresh: true, idempotency: true });
  const shadow = report.findings.filter((f) => f.rule === 'fresh' || f.rule === 'idempotency');
  assert.deepEqual(
    shadow.map((f) => `${f.rule} ${f.file}:${f.line}`),
    ['idempotency migrations/004_index.sql:6'],
  );
  assert.match(shadow[0]!.message, /fails when run a second time: relation "once_only" already exists/);
  assert.equal(report.shadow?.setups[0]?.applied, 4);
});
