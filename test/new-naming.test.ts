// db:new's pure parts: descriptions to snake case, what it refuses, numbering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTableName, describe, nextNumber, tableFromDescription } from '../src/scaffold/naming.js';
import { formatNumber, toSnake } from '../src/core/naming.js';
import { isoDate } from '../src/scaffold/template.js';

test('descriptions become snake case, and a sentence for the header', () => {
  const ok = (input: string) => {
    const r = describe(input);
    assert.ok(r.ok, `${input}: ${r.ok ? '' : r.error}`);
    return r.value;
  };
  assert.deepEqual(ok('Add task priority'), { snake: 'add_task_priority', sentence: 'Add task priority' });
  assert.deepEqual(ok('  addTaskPriority '), { snake: 'add_task_priority', sentence: 'Add task priority' });
  assert.deepEqual(ok('api-key  scopes__v2'), { snake: 'api_key_scopes_v2', sentence: 'Api key scopes v2' });
  assert.equal(ok('2fa codes').snake, '2fa_codes');
  assert.equal(toSnake('HTTPStatus'), 'httpstatus');
});

test('descriptions that would break NNN_snake_case.sql are refused with a reason', () => {
  for (const [input, reason] of [
    ['', /required/],
    ['   ', /required/],
    ['add café', /may only hold/],
    ['../../etc/passwd', /may only hold/],
    ['notes.sql', /may only hold/],
    ['008_add_notes', /starts with a number/],
    ['---', /no letters or digits/],
    ['x'.repeat(61), /under 61/],
  ] as const) {
    const r = describe(input);
    assert.equal(r.ok, false, input);
    if (!r.ok) assert.match(r.error, reason, input);
  }
});

test('table names: from the description without a leading verb, checked for length and case', () => {
  assert.equal(tableFromDescription('create_invoices'), 'invoices');
  assert.equal(tableFromDescription('add_api_tokens'), 'api_tokens');
  assert.equal(tableFromDescription('add'), 'add');
  assert.equal(tableFromDescription('billing_history'), 'billing_history');
  assert.ok(checkTableName('invoices', '--table').ok);
  assert.equal(checkTableName('Invoices', '--table').ok, false);
  assert.equal(checkTableName('a'.repeat(49), '--table').ok, false);
});

test('numbers: the next after the highest, three digits at least', () => {
  assert.equal(nextNumber([]), 1n);
  assert.equal(nextNumber([1n, 2n, null, 7n]), 8n);
  assert.equal(formatNumber(8n), '008');
  assert.equal(formatNumber(1234n), '1234');
  assert.equal(isoDate(new Date(2025, 0, 9, 23, 59)), '2025-01-09');
});
