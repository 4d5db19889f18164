// The lexical pre-filter that keeps the parser off the common path must never
// clear a script the real parser would flag (soundness), and should clear the
// usual migration (DO blocks, comments, strings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { mayContainTransactionControl } from '../src/sql/statement-starts.js';
import { loadParser, splitStatementsSync } from '../src/sql/statements.js';
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
];
const unsure = ["SELECT 'unterminated", 'DO $$ BEGIN', '/* open comment', 'SELECT "open'];

test('flags every script whose statements may start with a transaction keyword', () => {
  for (const sql of flagged) assert.equal(mayContainTransactionControl(sql), true, sql);
});

test('clears keywords inside comments, strings, identifiers and dollar-quoted bodies', () => {
  for (const sql of cleared) assert.equal(mayContainTransactionControl(sql), false, sql);
});

test('answers "maybe" for unterminated constructs, leaving the decision to the parser', () => {
  for (const sql of unsure) assert.equal(mayContainTransactionControl(sql), true, sql);
});

test('sound against the real parser: whatever libpg_query sees as transaction control is flagged', async () => {
  const parser = await loadParser();
  for (const sql of [...flagged, ...cleared]) {
    let hasTransaction = false;
    try {
      hasTransaction = splitStatementsSync(parser, sql).some((s) => 'TransactionStmt' in s.node);
    } catch {
      continue; // not SQL the server would run either
    }
    if (hasTransaction) assert.equal(mayContainTransactionControl(sql), true, sql);
  }
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
  for (const file of files) assert.equal(mayContainTransactionControl(readFileSync(file, 'utf8')), false, file);
});
