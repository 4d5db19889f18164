// The lexical pre-filter that keeps the parser off the common path must never
// clear a script the real parser would flag (soundness), and should clear the
// usual migration (DO blocks, comments, strings, backslashes inside strings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { mayNeedParser } from '../src/sql/statement-starts.js';
import { loadParser } from '../src/sql/statements.js';
import { readScript } from '../src/sql/psql-features.js';
import { repoRoot } from './support/project.js';

const flagged = [
  'COMMIT;',
  'CREATE TABLE a (id int);\n  commit;',
  'BEGIN; SELECT 1; END;',
  'SELECT 1; start transaction;',
  "SELECT 'x'; ROLLBACK;",
  'SAVEPOINT s1;',
  'RELEASE SAVEPOINT s1;',
  "PREPARE TRANSACTION 'x';",
  'ABORT;',
  '/* a /* nested */ comment */ COMMIT;',
  '-- c\nEND',
  'SELECT $1; COMMIT;',
  '\\i other.sql\nSELECT 1;',
  'SELECT 1;\n  \\set x 1\n',
  'SELECT 1 \\gset',
  'CREATE TABLE t (a int);\nCOPY t (a) FROM STDIN;\n1\n2\n\\.\n',
  "copy t from stdin with (format csv);\n1,'x\n",
  'COPY t FROM STDIN;',
  "SELECT 'a'; \\echo done",
];
const cleared = [
  'DO $$ BEGIN PERFORM 1; COMMIT; END $$;',
  'DO $body$\nBEGIN\n  RAISE NOTICE $$ ; COMMIT $$;\nEND\n$body$;',
  "SELECT '; COMMIT';",
  "SELECT E'\\'; COMMIT';",
  'SELECT "; commit";',
  '-- COMMIT;\nSELECT 1;',
  '/* ; COMMIT; */ SELECT 1;',
  'CREATE TABLE begin_end (id int); SELECT committed FROM x;',
  'CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;',
  "SELECT 'C:\\temp\\x', E'\\n\\'', $$ \\ $$;",
  '-- \\i other.sql\n/* \\set x */ SELECT "back\\slash";',
  "DO $$ BEGIN RAISE NOTICE 'a \\ b'; END $$;",
  'CREATE TABLE copy_log (id int); SELECT copy FROM copy_log;',
];
const unsure = ["SELECT 'unterminated", 'DO $$ BEGIN', '/* open comment', 'SELECT "open'];

test('flags every script whose statements may start with a transaction keyword or COPY, or that holds a psql meta-command', () => {
  for (const sql of flagged) assert.equal(mayNeedParser(sql), true, sql);
});

test('clears keywords and backslashes inside comments, strings, identifiers and dollar-quoted bodies', () => {
  for (const sql of cleared) assert.equal(mayNeedParser(sql), false, sql);
});

test('answers "maybe" for unterminated constructs, leaving the decision to the parser', () => {
  for (const sql of unsure) assert.equal(mayNeedParser(sql), true, sql);
});

test('sound against the real parser: whatever the pre-run checks would flag is flagged', async () => {
  const parser = await loadParser();
  let checked = 0;
  for (const sql of [...flagged, ...cleared]) {
    const { spans, features } = readScript(parser, sql);
    const hasTransaction = (spans ?? []).some((s) => 'TransactionStmt' in s.node);
    if (hasTransaction || features.length > 0) {
      checked++;
      assert.equal(mayNeedParser(sql), true, sql);
    }
  }
  assert.equal(checked, flagged.length, 'the parser side finds each flagged script too');
});

test("the project's own migrations need no parser", () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.sql')) files.push(full);
    }
  };
  walk(path.join(repoRoot, 'migrations'));
  walk(path.join(repoRoot, 'contents'));
  assert.ok(files.length >= 12);
  for (const file of files) assert.equal(mayNeedParser(readFileSync(file, 'utf8')), false, file);
});
