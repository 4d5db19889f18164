// The lexical pre-filter that keeps the parser off the common path must never
// clear a script the real parser would flag (soundness), and should clear the
// usual migration (DO blocks, comments, strings, backslashes inside strings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createdExtensions, mayNeedParser } from '../src/sql/statement-starts.js';
import { loadParser, splitStatementsSync } from '../src/sql/statements.js';
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

// Which extensions the embedded database registers (src/db/pglite.ts): every one a
// file may create must be found, or the answer must be "unsure" (then all are).
const extensionScripts: [string, string[] | 'unsure'][] = [
  ['CREATE EXTENSION pgcrypto;', ['pgcrypto']],
  ['create extension if not exists "uuid-ossp"; CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;', ['uuid-ossp', 'citext']],
  ['CREATE EXTENSION pg_trgm', ['pg_trgm']],
  ['-- CREATE EXTENSION pg_trgm;\nSELECT 1;', []],
  ["/* CREATE EXTENSION citext; */ SELECT 'an extension-free string';", 'unsure'],
  ["DO $$ BEGIN EXECUTE 'CREATE EXTENSION citext'; END $$;", 'unsure'],
  ['ALTER EXTENSION citext UPDATE;', 'unsure'],
  ['CREATE EXTENSION earthdistance CASCADE;', 'unsure'],
  ['CREATE TABLE files (extension text);', 'unsure'],
  ["SELECT 'open", 'unsure'],
  ['CREATE TABLE t (id int); SELECT 1;', []],
];

test('finds the extensions a script creates, and is unsure of any other mention', () => {
  for (const [sql, expected] of extensionScripts) {
    const found = createdExtensions(sql);
    assert.deepEqual(found.unsure ? 'unsure' : found.names, expected, sql);
  }
});

test('sound against the real parser: every extension libpg_query sees created is found, or unsure', async () => {
  const parser = await loadParser();
  for (const [sql] of extensionScripts) {
    let created: string[] = [];
    try {
      created = splitStatementsSync(parser, sql).flatMap((s) => ('CreateExtensionStmt' in s.node ? [(s.node.CreateExtensionStmt as { extname: string }).extname] : []));
    } catch {
      continue;
    }
    const found = createdExtensions(sql);
    if (!found.unsure) for (const name of created) assert.ok(found.names.includes(name), `${name} in ${sql}`);
  }
});

test("the project's own migrations create no extension: the embedded database registers none", () => {
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
  for (const file of files) assert.deepEqual(createdExtensions(readFileSync(file, 'utf8')), { names: [], unsure: false }, file);
});
