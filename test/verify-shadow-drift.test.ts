// verify --drift on the shipped schema, on PGlite and on a real server: migrated
// by the real CLI, the database matches the shadow (no drift by itself, whatever
// the server's version); a column added, an index dropped, a policy changed, RLS
// disabled, a privilege granted and a function replaced by hand are each one
// difference, exit 1, in the documented JSON shape.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { migrate, repoRoot } from './schema-support.js';
import { runCli } from './support/project.js';

const drift = (url: string) => runCli(['verify', '--root', repoRoot, '--theme', 'default', '--no-env-file', '--drift', '--json'], { DATABASE_URL: url });

for (const backend of backends) {
  describe(`verify --drift (${backend.name})`, () => {
    let handle: TestDatabaseHandle | null = null;
    before(async () => {
      if (backend.skipReason) return;
      handle = await backend.createDatabase();
      await migrate(handle.url);
    });
    after(async () => {
      await handle?.drop();
    });

    test('no drift right after migrate; hand-made changes are each a difference', async (t) => {
      if (backend.skipReason || !handle) return t.skip(backend.skipReason ?? 'no database');
      const clean = await drift(handle.url);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      const doc = JSON.parse(clean.stdout);
      assert.equal(doc.ok, true);
      assert.deepEqual(doc.differences, []);

      const db = await connectForTest(handle.url);
      try {
        await db.exec(`ALTER TABLE tasks ADD COLUMN archived boolean;
          DROP INDEX idx_tasks_priority;
          ALTER POLICY users_can_view_own_tasks ON tasks USING (true);
          ALTER TABLE billing_plans DISABLE ROW LEVEL SECURITY;
          GRANT INSERT ON tasks TO anon;
          CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;`);
      } finally {
        await db.close();
      }
      const drifted = await drift(handle.url);
      assert.equal(drifted.code, 1, drifted.stdout + drifted.stderr);
      const after = JSON.parse(drifted.stdout);
      assert.equal(after.ok, false);
      const byObject = new Map(after.differences.map((d: { object: string }) => [d.object, d]));
      assert.deepEqual(byObject.get('tasks.archived'), { kind: 'column', object: 'tasks.archived', table: 'tasks', expected: null, actual: 'boolean' });
      assert.deepEqual(Object.keys(byObject.get('idx_tasks_priority') as object), ['kind', 'object', 'table', 'expected', 'actual']);
      assert.equal((byObject.get('idx_tasks_priority') as { actual: unknown }).actual, null);
      const policy = byObject.get('tasks.users_can_view_own_tasks') as { expected: string; actual: string };
      assert.match(policy.expected, /using \("userId" = get_auth_user_id\(\)\)/);
      assert.match(policy.actual, /using true/);
      // RLS disabled and a grant show on the relation; a replaced function by its body.
      const plans = byObject.get('billing_plans') as { kind: string; expected: string; actual: string };
      assert.equal(plans.kind, 'relation');
      assert.match(plans.expected, /rls=true/);
      assert.match(plans.actual, /rls=false/);
      const tasks = byObject.get('tasks') as { expected: string; actual: string };
      assert.doesNotMatch(tasks.expected, /anon:INSERT/);
      assert.match(tasks.actual, /anon:INSERT/);
      const fn = byObject.get('set_updated_at()') as { kind: string; expected: string; actual: string };
      assert.equal(fn.kind, 'function');
      assert.notEqual(fn.expected, fn.actual);
      assert.equal(after.differences.length, 6, JSON.stringify(after.differences));
      assert.ok(after.findings.some((f: { rule: string; message: string }) => f.rule === 'drift' && f.message === '+ column tasks.archived boolean'));
    });
  });
}
