// `-- verify:ignore <rule> <reason>`: on the comment lines right above a
// statement, or in the header for the whole file; a reason is required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { body, check, places } from './fixtures/verify/helpers.js';

const M = 'migrations/002_x.sql';

test('a directive above a statement silences that rule for that statement only, and keeps its reason', async () => {
  const r = await check({
    [M]: body(
      '002_x.sql',
      '-- verify:ignore idempotent the table is created by hand on purpose', // 4
      '-- (and a second comment line in the same block)', // 5
      'CREATE TABLE t1 (id TEXT);', // 6: silenced
      'CREATE TABLE t2 (id TEXT);', // 7: not silenced
    ),
  });
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:7:1 idempotent`]);
  assert.equal(r.suppressed.filter((s) => s.rule === 'idempotent').length, 1);
  assert.deepEqual(
    r.suppressed.filter((s) => s.rule === 'idempotent').map((s) => [s.line, s.reason]),
    [[6, 'the table is created by hand on purpose']],
  );
  // Other rules on the silenced statement still stand.
  assert.ok(places(r.findings, 'rls').includes(`${M}:6:1 rls`));
});

test('a directive in the header silences the rule in the whole file', async () => {
  const r = await check({
    [M]: '-- Migration: 002_x.sql\n-- Description: x\n-- Date: 2025-01-19\n-- verify:ignore rls tables for an internal job runner, never exposed\n\nCREATE TABLE IF NOT EXISTS a (id TEXT);\nCREATE TABLE IF NOT EXISTS b (id TEXT);\n',
  });
  assert.deepEqual(places(r.findings, 'rls'), []);
  assert.equal(r.suppressed.filter((s) => s.rule === 'rls').length, 2);
});

test('no reason, an unknown rule, or a blank line before the statement: nothing is silenced', async () => {
  const r = await check({
    [M]: body(
      '002_x.sql',
      '-- verify:ignore idempotent', // 4: no reason
      'CREATE TABLE t1 (id TEXT);', // 5
      '-- verify:ignore idempotence typo in the rule', // 6
      'CREATE TABLE t2 (id TEXT);', // 7
      '-- verify:ignore idempotent detached by a blank line', // 8
      '', // 9
      'CREATE TABLE t3 (id TEXT);', // 10
    ),
  });
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:5:1 idempotent`, `${M}:7:1 idempotent`, `${M}:10:1 idempotent`]);
  assert.deepEqual(places(r.findings, 'verify-ignore'), [`${M}:4:1 verify-ignore`, `${M}:6:1 verify-ignore`]);
  assert.deepEqual(r.unusedDirectives.map((d) => d.line), [8]);
});

test('a directive written inside a string or a dollar-quoted body is not a directive', async () => {
  const r = await check({
    [M]: body('002_x.sql', "SELECT '-- verify:ignore idempotent in a string',", '$$', '-- verify:ignore idempotent in a dollar quote', '$$;', 'CREATE TABLE t1 (id TEXT);'),
  });
  assert.deepEqual(places(r.findings, 'idempotent'), [`${M}:8:1 idempotent`]);
  assert.equal(r.suppressed.length, 0);
});

test('a directive silences file-level rules only from the header', async () => {
  const r = await check({
    'migrations/004_gap.sql': '-- Migration: 004_gap.sql\n-- Description: x\n-- Date: 2025-01-19\n-- verify:ignore sequence 003 was never merged\nSELECT 1;\n',
  });
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.suppressed.map((s) => `${s.rule}: ${s.reason}`), ['sequence: 003 was never merged']);
});
