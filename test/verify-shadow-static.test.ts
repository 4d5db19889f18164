// The two corpus rules about the run order across tiers: run-order (a statement
// naming a table only a later file creates) and create-existing (CREATE TABLE IF
// NOT EXISTS of a table an earlier file creates). Pure: no database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { body, check, cleanTable, places } from './fixtures/verify/helpers.js';

const PLUGIN = { 'contents/plugins/p1/migrations/001_p1.sql': body('001_p1.sql', ...cleanTable('p1_items')) };

test('run-order: each kind of reference to a table a later file creates is an error naming both files and the order', async () => {
  const result = await check({
    'migrations/002_core_refs.sql': body(
      '002_core_refs.sql',
      ...cleanTable('notes'),
      'ALTER TABLE "notes" ADD COLUMN IF NOT EXISTS "itemId" TEXT REFERENCES "p1_items"(id) ON DELETE CASCADE;',
      'DROP POLICY IF EXISTS notes_items ON "notes";',
      'CREATE POLICY notes_items ON "notes" FOR SELECT USING (EXISTS (SELECT 1 FROM "p1_items" i WHERE i.id = "notes"."itemId"));',
      'DROP TRIGGER IF EXISTS p1_touch ON "p1_items";',
      'CREATE TRIGGER p1_touch BEFORE UPDATE ON "p1_items" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();',
      'CREATE OR REPLACE VIEW notes_items WITH (security_invoker = true) AS SELECT n.id FROM "notes" n JOIN "p1_items" i ON i.id = n."itemId";',
      'INSERT INTO "notes" ("userId") SELECT "userId" FROM "p1_items" ON CONFLICT DO NOTHING;',
    ),
    ...PLUGIN,
  });
  const found = result.findings.filter((f) => f.rule === 'run-order');
  assert.deepEqual(
    found.map((f) => f.line),
    [16, 18, 20, 21, 22],
    places(result.findings).join('\n'),
  );
  for (const f of found) {
    assert.equal(f.severity, 'error');
    assert.equal(f.file, 'migrations/002_core_refs.sql');
    assert.match(f.message, /"p1_items", which only contents\/plugins\/p1\/migrations\/001_p1\.sql creates; that file runs later \(file 3 of 3 in the run order, this is file 2\)/);
  }
  // The column of the reference itself, not of the statement.
  assert.equal(found[0]!.column, 60);
});

test('run-order: a table created earlier, in the same file before use, or under a CTE name is not a finding', async () => {
  const result = await check({
    ...PLUGIN,
    'contents/plugins/p1/migrations/002_p1_more.sql': body(
      '002_p1_more.sql',
      'ALTER TABLE "p1_items" ADD COLUMN IF NOT EXISTS note TEXT;',
      'WITH "p2_rows" AS (SELECT id FROM "p1_items") INSERT INTO "p1_items" ("userId") SELECT id FROM "p2_rows" ON CONFLICT DO NOTHING;',
    ),
    'contents/plugins/p2/migrations/001_p2.sql': body('001_p2.sql', ...cleanTable('p2_rows')),
  });
  assert.deepEqual(places(result.findings, 'run-order'), []);
  assert.deepEqual(places(result.findings, 'create-existing'), []);
});

test('create-existing: CREATE TABLE IF NOT EXISTS of a table an earlier file creates is an error that points to ALTER TABLE … ADD COLUMN IF NOT EXISTS', async () => {
  const result = await check({
    ...PLUGIN,
    'contents/themes/t1/entities/items/migrations/001_items_again.sql': body(
      '001_items_again.sql',
      'CREATE TABLE IF NOT EXISTS "p1_items" (id TEXT PRIMARY KEY, "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, extra TEXT, "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(), "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now());',
    ),
  });
  const found = result.findings.filter((f) => f.rule === 'create-existing');
  assert.deepEqual(places(found), ['contents/themes/t1/entities/items/migrations/001_items_again.sql:4:1 create-existing']);
  assert.equal(found[0]!.severity, 'error');
  assert.match(found[0]!.message, /contents\/plugins\/p1\/migrations\/001_p1\.sql:4 already creates it/);
  assert.match(found[0]!.fix, /ALTER TABLE "p1_items" ADD COLUMN IF NOT EXISTS/);
});

test('create-existing: a table dropped before it is created again, and the clean base, are not findings', async () => {
  const result = await check({
    ...PLUGIN,
    'contents/plugins/p1/migrations/002_rebuild.sql': body('002_rebuild.sql', 'DROP TABLE IF EXISTS "p1_items";', ...cleanTable('p1_items')),
  });
  assert.deepEqual(places(result.findings), []);
  assert.deepEqual(places((await check({})).findings), []);
});
