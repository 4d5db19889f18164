// End-to-end: `sql` and `reset` on fixture projects, once on the embedded
// database (the default .pglite) and once on a server database made by the test.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { backends, type TestDatabaseHandle } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';

const files = {
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS "user" (id TEXT PRIMARY KEY, email TEXT);\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig([]),
  'contents/themes/t1/migrations/001_prefs.sql': "CREATE TABLE IF NOT EXISTS prefs (id INT PRIMARY KEY, name TEXT);\nINSERT INTO prefs VALUES (1, 'migrated') ON CONFLICT DO NOTHING;\n",
};

for (const backend of backends) {
  describe(`sql and reset on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`sql and reset on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    /** A migrated project: on PGlite its default .pglite (no DATABASE_URL), on the server a new database. */
    async function setup() {
      const root = writeProject(files);
      cleanup.push(() => removeProject(root));
      let env: Record<string, string> = { NEXT_PUBLIC_ACTIVE_THEME: 't1' };
      if (backend.name === 'postgres') {
        const db: TestDatabaseHandle = await backend.createDatabase();
        cleanup.push(() => db.drop());
        env = { ...env, DATABASE_URL: db.url };
      }
      const cli = (args: string[], extra: Record<string, string | undefined> = {}) => runCli([args[0]!, '--root', root, '--no-env-file', ...args.slice(1)], { ...env, ...extra });
      const migrated = await cli(['migrate']);
      assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
      return { root, cli };
    }

    test('sql prints rows as an aligned table, --json as objects; writes are allowed', async () => {
      const { cli } = await setup();
      const insert = await cli(['sql', "INSERT INTO prefs VALUES (2, 'second')"]);
      assert.equal(insert.code, 0, insert.stderr);
      const table = await cli(['sql', 'SELECT id, name FROM prefs ORDER BY id']);
      assert.equal(table.code, 0, table.stderr);
      assert.deepEqual(table.stdout.trimEnd().split('\n'), [' id | name', '----+----------', '  1 | migrated', '  2 | second', '(2 rows)']);
      const json = await cli(['query', '--json', 'SELECT id, name, NULL AS nothing FROM prefs ORDER BY id']);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), [
        { id: 1, name: 'migrated', nothing: null },
        { id: 2, name: 'second', nothing: null },
      ]);
    });

    test('a failing statement exits 1 with its message, SQLSTATE and a caret under the position', async () => {
      const { cli } = await setup();
      const failed = await cli(['sql', 'SELECT id,\n  no_such_column FROM prefs']);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /ERROR 42703: column "no_such_column" does not exist/);
      assert.match(failed.stderr, /2 \|   no_such_column FROM prefs\n\s+\|   \^/);
      const usage = await cli(['sql']);
      assert.equal(usage.code, 2);
    });

    test('reset is refused without --yes when stdin is not a terminal, and with NODE_ENV=production', async () => {
      const { cli } = await setup();
      await cli(['sql', "INSERT INTO prefs VALUES (5, 'kept')"]);
      const noYes = await cli(['reset']);
      assert.equal(noYes.code, 2);
      assert.match(noYes.stderr, /refusing to reset without --yes: stdin is not a terminal/);
      const production = await cli(['reset', '--yes'], { NODE_ENV: 'production' });
      assert.equal(production.code, 2);
      assert.match(production.stderr, /refusing to reset: NODE_ENV=production/);
      const still = await cli(['sql', 'SELECT count(*)::int AS n FROM prefs']);
      assert.match(still.stdout, /^\s+2$/m, 'nothing was removed');
    });

    test('reset --yes removes the data, says what it removed, and migrates anew', async () => {
      const { root, cli } = await setup();
      await cli(['sql', "INSERT INTO prefs VALUES (5, 'gone'); CREATE TABLE scratch (id INT)"]);
      const reset = await cli(['reset', '--yes']);
      assert.equal(reset.code, 0, reset.stderr + reset.stdout);
      if (backend.name === 'pglite') {
        assert.match(reset.stdout, new RegExp(`Removed the embedded database ${path.join(root, '.pglite').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ file\\(s\\)`));
      } else {
        assert.match(reset.stdout, /Removed schema public/);
        assert.match(reset.stdout, /\d+ tables: _content_migrations, _entity_migrations, _migrations, _migrations_settings, prefs, scratch, user/);
      }
      assert.match(reset.stdout, /001_init\.sql/);
      assert.match(reset.stdout, /001_prefs\.sql executed successfully/);
      const rows = await cli(['sql', 'SELECT id, name FROM prefs ORDER BY id']);
      assert.match(rows.stdout, /migrated/);
      assert.doesNotMatch(rows.stdout, /gone/);
      const scratch = await cli(['sql', "SELECT to_regclass('scratch') IS NULL AS dropped"]);
      assert.match(scratch.stdout, /true/);
      const status = await cli(['status', '--json']);
      assert.equal(status.code, 0, status.stdout);
      assert.ok(status.json!.migrations.every((m) => m.status === 'applied'), status.stdout);
    });

    if (backend.name === 'pglite') {
      test('sql never creates an embedded database: without .pglite it says so and exits 2', async () => {
        const root = writeProject(files);
        cleanup.push(() => removeProject(root));
        const run = await runCli(['sql', '--root', root, '--no-env-file', 'SELECT 1'], { NEXT_PUBLIC_ACTIVE_THEME: 't1' });
        assert.equal(run.code, 2);
        assert.match(run.stderr, /there is no embedded database at/);
        assert.equal(existsSync(path.join(root, '.pglite')), false);
      });
    }
  });
}
