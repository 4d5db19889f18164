// Static rules that read the whole corpus of a setup: standard fields, foreign
// keys and their indexes, RLS and policies, the updatedAt trigger. Each fires at
// an exact place; each is satisfied by a later file or another tier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { body, check, cleanTable, places } from './fixtures/verify/helpers.js';

const M = 'migrations/002_x.sql';
const file = (...lines: string[]) => ({ [M]: body('002_x.sql', ...lines) });

/** A table with everything but what the test takes away. */
function table(name: string, columns: string[], extra: { rls?: boolean; trigger?: boolean } = {}): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "${name}" (`,
    ...columns.map((c, i) => `  ${c}${i < columns.length - 1 ? ',' : ''}`),
    ');',
    ...(extra.rls === false ? [] : [`ALTER TABLE "${name}" ENABLE ROW LEVEL SECURITY;`, `DROP POLICY IF EXISTS ${name}_p ON "${name}";`, `CREATE POLICY ${name}_p ON "${name}" USING (true);`]),
    ...(extra.trigger === false
      ? []
      : [`DROP TRIGGER IF EXISTS ${name}_u ON "${name}";`, `CREATE TRIGGER ${name}_u BEFORE UPDATE ON "${name}" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();`]),
  ];
}
const ID = 'id TEXT PRIMARY KEY';
const CREATED = '"createdAt" TIMESTAMPTZ NOT NULL DEFAULT now()';
const UPDATED = '"updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()';

test('standard-fields: missing columns at the CREATE TABLE, wrong timestamps at the column', async () => {
  const r = await check(
    file(
      ...table('a', [ID, 'body TEXT'], { trigger: false }), // CREATE at 4
      ...table('b', [ID, '"createdAt" TIMESTAMP', '"updatedAt" TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP', '"seenAt" timestamp without time zone']), // CREATE at 11, columns 13-15
    ),
  );
  assert.deepEqual(places(r.findings, 'standard-fields'), [`${M}:4:1 standard-fields`, `${M}:13:3 standard-fields`, `${M}:14:3 standard-fields`, `${M}:15:12 standard-fields`]);
  const [missing, created, updated, seen] = r.findings.filter((f) => f.rule === 'standard-fields');
  assert.match(missing!.message, /no "createdAt", "updatedAt" columns/);
  assert.match(created!.message, /TIMESTAMP without time zone, it may be NULL, its default is not now\(\)/);
  assert.match(updated!.message, /it may be NULL$/);
  assert.match(seen!.message, /"seenAt" is TIMESTAMP without time zone/);
  assert.ok(r.findings.every((f) => f.rule !== 'standard-fields' || f.severity === 'warning'));
});

test('standard-fields: near-miss, columns added by a later migration count; names in comments and strings do not matter', async () => {
  const r = await check({
    ...file(...table('a', [ID, '-- "createdAt" TIMESTAMP', "note TEXT DEFAULT 'TIMESTAMP'", '"timestamp" TEXT'])),
    'contents/themes/t/migrations/001_later.sql': body(
      '001_later.sql',
      `ALTER TABLE a ADD COLUMN IF NOT EXISTS ${CREATED};`,
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'updatedAt') THEN ALTER TABLE a ADD COLUMN ${UPDATED}; END IF; END $$;`,
    ),
  });
  assert.deepEqual(places(r.findings), []);
});

test('foreign-key: a user-owned parent without ON DELETE, and "userId" that does not cascade', async () => {
  const r = await check(
    file(
      ...cleanTable('tasks'), // 4-15
      ...table('comments', [ID, '"taskId" TEXT REFERENCES tasks(id)', '"userId" TEXT REFERENCES "user"(id) ON DELETE SET NULL', CREATED, UPDATED]), // 16; 18, 19
      'CREATE INDEX IF NOT EXISTS idx_c_task ON comments ("taskId");',
      'CREATE INDEX IF NOT EXISTS idx_c_user ON comments ("userId");',
    ),
  );
  assert.deepEqual(places(r.findings), [`${M}:18:17 foreign-key`, `${M}:19:17 foreign-key`]);
  assert.match(r.findings[0]!.message, /"comments"\("taskId"\) REFERENCES "tasks" has no ON DELETE/);
  assert.match(r.findings[1]!.message, /ON DELETE SET NULL: a user's rows are expected to go with the user/);
});

test('foreign-key: near-miss, parents no user owns need no ON DELETE; REFERENCES in a comment or string is nothing', async () => {
  const r = await check(
    file(
      ...table('plans', [ID, CREATED, UPDATED]),
      ...table('subs', [ID, '"planId" TEXT REFERENCES plans(id)', `-- "userId" TEXT REFERENCES "user"(id)`, "kind TEXT DEFAULT 'REFERENCES \"user\"(id)'", CREATED, UPDATED]),
      'CREATE INDEX IF NOT EXISTS idx_subs_plan ON subs ("planId");',
    ),
  );
  assert.deepEqual(places(r.findings), []);
});

test('fk-index: a foreign key no index leads with, at the constraint; partial indexes do not count', async () => {
  const r = await check(
    file(
      ...table('notes', [ID, '"userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE', CREATED, UPDATED]), // 4; FK on 6
      'CREATE INDEX IF NOT EXISTS idx_notes_live ON notes ("userId") WHERE "createdAt" > now();',
      'CREATE INDEX IF NOT EXISTS idx_notes_created ON notes ("createdAt", "userId");',
    ),
  );
  assert.deepEqual(places(r.findings), [`${M}:6:26 fk-index`]);
  assert.match(r.findings[0]!.fix, /CREATE INDEX IF NOT EXISTS idx_notes_user_id ON "notes"\("userId"\)/);
});

test('fk-index: corpus-wide, an index in a later file of another tier, or a primary key that leads with the column', async () => {
  const r = await check({
    ...file(
      ...table('notes', [ID, '"userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE', CREATED, UPDATED]),
      ...table('links', ['"userId" TEXT REFERENCES "user"(id) ON DELETE CASCADE', 'url TEXT', 'id TEXT', CREATED, UPDATED, 'PRIMARY KEY ("userId", url)']),
    ),
    'contents/plugins/p/entities/e/migrations/001_index.sql': body('001_index.sql', 'CREATE INDEX IF NOT EXISTS idx_notes_user_id ON public.notes ("userId");'),
  });
  assert.deepEqual(places(r.findings), []);
});

test('rls: a created table never secured, RLS without a policy, a policy calling an unknown function', async () => {
  const r = await check(
    file(
      ...table('open_table', [ID, CREATED, UPDATED], { rls: false }), // 4
      '-- ALTER TABLE open_table ENABLE ROW LEVEL SECURITY;', // 11: a comment does not secure it
      "SELECT 'ALTER TABLE open_table ENABLE ROW LEVEL SECURITY';", // 12: nor does a string
      ...table('locked', [ID, CREATED, UPDATED], { rls: false }), // 13
      'ALTER TABLE locked ENABLE ROW LEVEL SECURITY;', // 20
      'DROP POLICY IF EXISTS p ON "user";', // 21
      'CREATE POLICY p ON "user" USING (id = auth.uid() OR lower(email) = current_setting(\'x\') OR public.get_auth_user_id() IS NULL);', // 22
    ),
  );
  assert.deepEqual(places(r.findings), [`${M}:4:1 rls`, `${M}:20:1 rls`, `${M}:22:39 rls`]);
  assert.match(r.findings[1]!.message, /no migration creates a policy/);
  assert.match(r.findings[2]!.message, /calls auth\.uid\(\)/);
  assert.ok(r.findings.every((f) => f.severity === 'error'));
});

test('rls: corpus-wide, a core table secured by a theme, with a function an extension provides', async () => {
  const r = await check({
    ...file(...table('shared', [ID, CREATED, UPDATED], { rls: false })),
    'contents/themes/t/migrations/001_secure.sql': body(
      '001_secure.sql',
      'CREATE EXTENSION IF NOT EXISTS pg_trgm;',
      'ALTER TABLE public.shared ENABLE ROW LEVEL SECURITY;',
      'DROP POLICY IF EXISTS shared_read ON shared;',
      "CREATE POLICY shared_read ON shared USING (similarity(id, 'x') > 0.5 AND pg_catalog.now() > '2000-01-01');",
    ),
  });
  assert.deepEqual(places(r.findings), []);
});

test('updated-at: "updatedAt" without a BEFORE UPDATE … set_updated_at() trigger, at the column', async () => {
  const r = await check(
    file(
      ...table('a', [ID, CREATED, UPDATED], { trigger: false }), // 4, updatedAt on 7
      ...table('b', [ID, CREATED, UPDATED], { trigger: false }), // 12, updatedAt on 15
      'DROP TRIGGER IF EXISTS b_after ON b;',
      'CREATE TRIGGER b_after AFTER UPDATE ON b FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();',
      '-- CREATE TRIGGER a_u BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();',
    ),
  );
  assert.deepEqual(places(r.findings), [`${M}:7:3 updated-at`, `${M}:15:3 updated-at`]);
});

test('updated-at: corpus-wide, the trigger in a later entity migration', async () => {
  const r = await check({
    ...file(...table('a', [ID, CREATED, UPDATED], { trigger: false })),
    'contents/themes/t/entities/a/migrations/001_trigger.sql': body(
      '001_trigger.sql',
      'DROP TRIGGER IF EXISTS a_set_updated_at ON a;',
      'CREATE TRIGGER a_set_updated_at BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION set_updated_at();',
    ),
  });
  assert.deepEqual(places(r.findings), []);
});

test('the corpus follows drops: a table dropped later raises nothing; a trigger dropped later is missing', async () => {
  const r = await check({
    ...file(...table('gone', [ID], { rls: false, trigger: false }), ...table('kept', [ID, CREATED, UPDATED])),
    'migrations/003_drop.sql': body('003_drop.sql', 'DROP TABLE IF EXISTS gone;', 'DROP TRIGGER IF EXISTS kept_u ON kept;'),
  });
  assert.deepEqual(places(r.findings), [`${M}:10:3 updated-at`]);
});
