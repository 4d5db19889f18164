// End-to-end: the CLI on fixture projects, once per backend (PGlite and a real
// server), same test code. Every assertion reads the database independently.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject, type CliRun } from './support/project.js';

/** A project using every tier: settings, children (both folder names), sample data, two plugins. */
function fixtureFiles(): Record<string, string> {
  return {
    'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS "user" (id TEXT PRIMARY KEY, email TEXT);\n',
    'migrations/002_audit.sql': 'CREATE TABLE IF NOT EXISTS audit (id SERIAL PRIMARY KEY, what TEXT);\n',
    'migrations/003_users_sample_data.sql': "INSERT INTO \"user\" VALUES ('u1', 'a@example.com') ON CONFLICT DO NOTHING;\n",
    'contents/themes/t1/config/theme.config.ts': themeConfig(['p1', 'p2']),
    'contents/themes/t1/migrations/001_theme_setup.sql': 'CREATE TABLE IF NOT EXISTS theme_prefs (id INT PRIMARY KEY);\n',
    'contents/themes/t1/settings/branding/migrations/001_branding.sql': 'CREATE TABLE IF NOT EXISTS branding (id INT PRIMARY KEY);\n',
    'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': 'CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, "userId" TEXT REFERENCES "user"(id) ON DELETE CASCADE);\n',
    'contents/themes/t1/entities/tasks/migrations/002_task_priority.sql': 'ALTER TABLE tasks ADD COLUMN IF NOT EXISTS priority TEXT;\n',
    'contents/themes/t1/entities/tasks/migrations/004_tasks_sample_data.sql': "INSERT INTO tasks VALUES ('t1', 'u1', 'high') ON CONFLICT DO NOTHING;\n",
    'contents/themes/t1/entities/tasks/children/subtasks/migrations/002_create_subtasks.sql': 'CREATE TABLE IF NOT EXISTS subtasks (id TEXT PRIMARY KEY, "taskId" TEXT REFERENCES tasks(id) ON DELETE CASCADE);\n',
    'contents/themes/t1/entities/tasks/childs/checklists/migrations/003_create_checklists.sql': 'CREATE TABLE IF NOT EXISTS checklists (id TEXT PRIMARY KEY, "subtaskId" TEXT REFERENCES subtasks(id));\n',
    'contents/plugins/p1/migrations/001_p1.sql': 'CREATE TABLE IF NOT EXISTS p1_things (id INT PRIMARY KEY);\n',
    'contents/plugins/p1/entities/notes/migrations/001_create_notes.sql': 'CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, "taskId" TEXT REFERENCES tasks(id));\n',
    'contents/plugins/p2/migrations/001_p2.sql': 'CREATE TABLE IF NOT EXISTS p2_things (id INT PRIMARY KEY);\n',
    'contents/plugins/p2/settings/limits/migrations/001_limits.sql': 'CREATE TABLE IF NOT EXISTS p2_limits (id INT PRIMARY KEY);\n',
    'contents/plugins/unused/migrations/001_unused.sql': 'SELECT 1/0;\n',
    'contents/themes/t2/config/theme.config.ts': themeConfig([]),
    'contents/themes/t2/migrations/001_t2.sql': 'CREATE TABLE IF NOT EXISTS t2_things (id INT PRIMARY KEY);\n',
  };
}

const EXPECTED_ORDER = [
  'migrations/001_init.sql',
  'migrations/002_audit.sql',
  'migrations/003_users_sample_data.sql',
  'contents/themes/t1/migrations/001_theme_setup.sql',
  'contents/themes/t1/settings/branding/migrations/001_branding.sql',
  'contents/plugins/p1/migrations/001_p1.sql',
  'contents/plugins/p2/migrations/001_p2.sql',
  'contents/plugins/p2/settings/limits/migrations/001_limits.sql',
  'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql',
  'contents/plugins/p1/entities/notes/migrations/001_create_notes.sql',
  'contents/themes/t1/entities/tasks/migrations/002_task_priority.sql',
  'contents/themes/t1/entities/tasks/children/subtasks/migrations/002_create_subtasks.sql',
  'contents/themes/t1/entities/tasks/childs/checklists/migrations/003_create_checklists.sql',
  'contents/themes/t1/entities/tasks/migrations/004_tasks_sample_data.sql',
];

for (const backend of backends) {
  describe(`engine on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`engine on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    async function setup(files: Record<string, string> = fixtureFiles()) {
      const db: TestDatabaseHandle = await backend.createDatabase();
      const root = writeProject(files);
      cleanup.push(() => db.drop(), () => removeProject(root));
      const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
      const cli = (args: string[] = [], extra: Record<string, string | undefined> = {}) =>
        runCli(['migrate', '--root', root, '--json', '--no-env-file', ...args], { ...env, ...extra });
      const query = async <R = Record<string, unknown>>(sql: string): Promise<R[]> => {
        const c = await connectForTest(db.url);
        try {
          return (await c.query<R>(sql)).rows;
        } finally {
          await c.close();
        }
      };
      const publicTables = async () =>
        (await query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
      return { db, root, env, cli, query, publicTables };
    }
    const applied = (run: CliRun) => run.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.path);

    test('applies every tier in order, records each in its table, and a re-run applies nothing', async () => {
      const { cli, query } = await setup();
      const first = await cli();
      assert.equal(first.code, 0, first.stderr + first.stdout);
      assert.deepEqual(applied(first), EXPECTED_ORDER);
      assert.ok(first.json!.migrations.every((m) => m.status !== 'applied' || typeof m.durationMs === 'number'));

      const core = await query<{ filename: string; checksum: string }>(`SELECT filename, checksum FROM _migrations ORDER BY id`);
      assert.deepEqual(core.map((r) => r.filename), ['001_init.sql', '002_audit.sql', '003_users_sample_data.sql']);
      assert.ok(core.every((r) => /^[0-9a-f]{64}$/.test(r.checksum)));
      const content = await query<{ source_type: string; source_name: string; filename: string }>(
        `SELECT source_type, source_name, filename FROM _content_migrations ORDER BY id`,
      );
      assert.deepEqual(content, [
        { source_type: 'theme', source_name: 't1', filename: '001_theme_setup.sql' },
        { source_type: 'theme-settings', source_name: 't1/settings/branding', filename: '001_branding.sql' },
        { source_type: 'plugin', source_name: 'p1', filename: '001_p1.sql' },
        { source_type: 'plugin', source_name: 'p2', filename: '001_p2.sql' },
        { source_type: 'plugin-settings', source_name: 'p2/settings/limits', filename: '001_limits.sql' },
      ]);
      const entities = await query<{ entity_name: string; source_type: string; source_name: string; filename: string }>(
        `SELECT entity_name, source_type, source_name, filename FROM _entity_migrations ORDER BY id`,
      );
      assert.deepEqual(entities.map((r) => `${r.entity_name}/${r.source_type}/${r.source_name}/${r.filename}`), [
        'tasks/theme/t1/001_create_tasks.sql',
        'notes/plugin/p1/001_create_notes.sql',
        'tasks/theme/t1/002_task_priority.sql',
        'subtasks/theme/t1/002_create_subtasks.sql',
        'checklists/theme/t1/003_create_checklists.sql',
        'tasks/theme/t1/004_tasks_sample_data.sql',
      ]);

      const second = await cli();
      assert.equal(second.code, 0);
      assert.deepEqual(applied(second), []);
      assert.ok(second.json!.migrations.every((m) => m.status === 'skipped'));
      assert.equal((await query<{ n: number }>(`SELECT count(*)::int AS n FROM _entity_migrations`))[0]!.n, 6);
    });

    test('a failing file rolls back entirely, is not recorded, stops the run, and is located by line and column', async () => {
      const { cli, query, publicTables } = await setup({
        ...fixtureFiles(),
        'migrations/002_audit.sql': 'CREATE TABLE IF NOT EXISTS audit (id INT);\n-- a comment with ünïcode 😀\nINSERT INTO audit VALUES (1);\nSELECT missing_column FROM audit;\n',
      });
      const run = await cli();
      assert.equal(run.code, 1);
      assert.equal(run.json!.ok, false);
      const error = run.json!.error!;
      assert.equal(error.code, 'MIGRATION_FAILED');
      assert.equal(error.file, 'migrations/002_audit.sql');
      assert.equal(error.sqlstate, '42703');
      assert.deepEqual([error.line, error.column], [4, 8]);
      assert.ok(!(await publicTables()).includes('audit'), 'nothing of the failed file stays');
      assert.deepEqual((await query<{ filename: string }>(`SELECT filename FROM _migrations`)).map((r) => r.filename), ['001_init.sql']);
      assert.equal(run.json!.migrations.find((m) => m.filename === '002_audit.sql')!.status, 'failed');
      assert.equal(run.json!.migrations.find((m) => m.filename === '001_theme_setup.sql')!.status, 'pending');
    });

    test('a run-time error without a server position is located at its statement, and inside DO blocks at its line', async () => {
      const { cli, root } = await setup({
        'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\n  INSERT INTO t\n  VALUES (1);\n',
        'contents/themes/t1/config/theme.config.ts': themeConfig([]),
      });
      const run = await cli();
      assert.equal(run.code, 1);
      assert.equal(run.json!.error!.sqlstate, '23505');
      assert.deepEqual([run.json!.error!.line, run.json!.error!.column], [4, 3]);
      addFiles(root, { 'migrations/001_init.sql': "SELECT 1;\nDO $$\nBEGIN\n  PERFORM 1;\n    RAISE EXCEPTION 'boom %', 42;\nEND $$;\n" });
      const again = await cli();
      assert.equal(again.json!.error!.sqlstate, 'P0001');
      assert.match(again.json!.error!.message, /boom 42/);
      assert.deepEqual([again.json!.error!.line, again.json!.error!.column], [5, 5]);
    });

    test('human output shows the file, line, column, the offending line and the SQLSTATE', async () => {
      const { root, env } = await setup({
        'migrations/001_init.sql': 'SELECT 1;\nSELEC 2;\n',
        'contents/themes/t1/config/theme.config.ts': themeConfig([]),
      });
      const run = await runCli(['migrate', '--root', root, '--no-env-file'], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /ERROR 42601: syntax error at or near "SELEC"/);
      assert.match(run.stderr, /at migrations\/001_init\.sql:2:1/);
      assert.match(run.stderr, /2 \| SELEC 2;/);
    });

    test('an applied file that changed is refused before anything runs; CRLF and a BOM are not changes', async () => {
      const { cli, root, query } = await setup();
      assert.equal((await cli()).code, 0);
      const file = path.join(root, 'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, `\uFEFF${original.replace(/\n/g, '\r\n')}`);
      addFiles(root, { 'migrations/004_next.sql': 'CREATE TABLE IF NOT EXISTS next_one (id INT);\n' });
      const crlf = await cli();
      assert.equal(crlf.code, 0, crlf.stdout);
      assert.deepEqual(applied(crlf), ['migrations/004_next.sql']);

      appendFileSync(file, 'ALTER TABLE tasks ADD COLUMN IF NOT EXISTS sneaky TEXT;\n');
      addFiles(root, { 'migrations/005_after.sql': 'CREATE TABLE IF NOT EXISTS after_tamper (id INT);\n' });
      const tampered = await cli();
      assert.equal(tampered.code, 1);
      assert.equal(tampered.json!.error!.code, 'VALIDATION');
      const modified = tampered.json!.problems.filter((p) => p.code === 'modified');
      assert.deepEqual(modified.map((p) => p.file), ['contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql']);
      assert.equal((await query(`SELECT 1 FROM _migrations WHERE filename = '005_after.sql'`)).length, 0, 'nothing ran');
    });

    test('an applied file deleted from disk is reported and refused unless --allow-missing', async () => {
      const { cli, root, env } = await setup();
      assert.equal((await cli()).code, 0);
      rmSync(path.join(root, 'migrations/002_audit.sql'));
      const refused = await cli();
      assert.equal(refused.code, 1);
      assert.equal(refused.json!.problems.find((p) => p.code === 'missing')!.file, 'migrations/002_audit.sql');
      assert.equal(refused.json!.migrations.find((m) => m.filename === '002_audit.sql')!.status, 'missing');
      const allowed = await cli(['--allow-missing']);
      assert.equal(allowed.code, 0);
      const status = await runCli(['status', '--root', root, '--json', '--no-env-file', '--allow-missing'], env);
      assert.equal(status.json!.migrations.find((m) => m.filename === '002_audit.sql')!.status, 'missing');
    });

    test('status reports applied, pending, modified, missing and inactive', async () => {
      const { cli, root, env } = await setup();
      assert.equal((await cli()).code, 0);
      addFiles(root, { 'migrations/004_pending.sql': 'SELECT 1;\n' });
      appendFileSync(path.join(root, 'migrations/001_init.sql'), 'SELECT 1; -- edited (a token: a comment alone is a cosmetic change)\n');
      rmSync(path.join(root, 'migrations/002_audit.sql'));
      const status = await runCli(['status', '--root', root, '--json', '--no-env-file', '--theme', 't2'], env);
      const byFile = new Map(status.json!.migrations.map((m) => [`${m.tier}:${m.source ?? ''}:${m.filename}`, m.status]));
      assert.equal(byFile.get('core::001_init.sql'), 'modified');
      assert.equal(byFile.get('core::002_audit.sql'), 'missing');
      assert.equal(byFile.get('core::004_pending.sql'), 'pending');
      assert.equal(byFile.get('core::003_users_sample_data.sql'), 'applied');
      assert.equal(byFile.get('theme:t1:001_theme_setup.sql'), 'inactive');
      assert.equal(byFile.get('entity:t1:001_create_tasks.sql'), 'inactive');
      assert.equal(byFile.get('theme:t2:001_t2.sql'), 'pending');
      assert.equal(status.code, 1, 'modified and missing files are errors');
    });

    test('out-of-order files run with a warning; --strict-order refuses them', async () => {
      const { cli, root } = await setup();
      rmSync(path.join(root, 'migrations/002_audit.sql'));
      assert.equal((await cli()).code, 0);
      addFiles(root, { 'migrations/002_audit.sql': fixtureFiles()['migrations/002_audit.sql']! });
      const strict = await cli(['--strict-order']);
      assert.equal(strict.code, 1);
      assert.equal(strict.json!.problems.find((p) => p.code === 'out-of-order')!.severity, 'error');
      const relaxed = await cli();
      assert.equal(relaxed.code, 0);
      assert.deepEqual(applied(relaxed), ['migrations/002_audit.sql']);
      assert.equal(relaxed.json!.problems.find((p) => p.code === 'out-of-order')!.severity, 'warning');
    });

    test('eight runners started at once apply each file exactly once and all exit 0', async () => {
      // Not idempotent on purpose: a second execution of any file would fail.
      const files: Record<string, string> = { 'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']) };
      for (let i = 1; i <= 12; i++) files[`migrations/${String(i).padStart(3, '0')}_step.sql`] = `CREATE TABLE step_${i} (id INT);\nINSERT INTO step_${i} VALUES (${i});\n`;
      files['contents/plugins/p1/entities/notes/migrations/001_notes.sql'] = 'CREATE TABLE notes (id INT);\n';
      const { cli, query } = await setup(files);
      const runs = await Promise.all(Array.from({ length: 8 }, () => cli()));
      for (const run of runs) assert.equal(run.code, 0, run.stderr || JSON.stringify(run.json?.error));
      const appliedCount = runs.reduce((n, run) => n + applied(run).length, 0);
      assert.equal(appliedCount, 13, 'each file applied by exactly one runner');
      assert.equal((await query<{ n: number }>(`SELECT count(*)::int AS n FROM _migrations`))[0]!.n, 12);
      assert.equal((await query<{ n: number }>(`SELECT count(*)::int AS n FROM step_7`))[0]!.n, 1);
    });

    test('adopts a database whose tracking tables were made by hand (documented DDL): nothing re-runs', async () => {
      // Every file would fail if executed: adoption must run none of them.
      const { cli, query, db } = await setup({
        'migrations/001_init.sql': 'SELECT 1/0;\n',
        'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
        'contents/themes/t1/migrations/001_theme_setup.sql': 'SELECT 1/0;\n',
        'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': 'SELECT 1/0;\n',
        'contents/plugins/p1/entities/notes/migrations/001_create_notes.sql': 'SELECT 1/0;\n',
      });
      const c = await connectForTest(db.url);
      await c.exec(`
        CREATE TABLE "_migrations" (id SERIAL PRIMARY KEY, filename TEXT UNIQUE NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
        CREATE TABLE "_content_migrations" (id SERIAL PRIMARY KEY, source_type TEXT NOT NULL, source_name TEXT NOT NULL, filename TEXT NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, UNIQUE(source_type, source_name, filename));
        CREATE TABLE "_entity_migrations" (id SERIAL PRIMARY KEY, entity_name TEXT NOT NULL, source_type TEXT NOT NULL, source_name TEXT NOT NULL, filename TEXT NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, UNIQUE(entity_name, filename));
        INSERT INTO "_migrations" (filename) VALUES ('001_init.sql');
        INSERT INTO "_content_migrations" (source_type, source_name, filename) VALUES ('theme', 't1', '001_theme_setup.sql');
        INSERT INTO "_entity_migrations" (entity_name, source_type, source_name, filename) VALUES ('tasks', 'theme', 't1', '001_create_tasks.sql'), ('notes', 'plugin', 'p1', '001_create_notes.sql');
      `);
      await c.close();
      const run = await cli();
      assert.equal(run.code, 0, JSON.stringify(run.json?.error));
      assert.deepEqual(applied(run), []);
      assert.equal(run.json!.problems.filter((p) => p.code === 'checksum-adopted').length, 4);
      const missingChecksums = await query<{ n: number }>(
        `SELECT (SELECT count(*) FROM _migrations WHERE checksum IS NULL) + (SELECT count(*) FROM _content_migrations WHERE checksum IS NULL) + (SELECT count(*) FROM _entity_migrations WHERE checksum IS NULL) AS n`,
      );
      assert.equal(Number(missingChecksums[0]!.n), 0, 'checksums recorded on adoption');
      const again = await cli();
      assert.equal(again.json!.problems.filter((p) => p.code === 'checksum-adopted').length, 0);
    });

    test('upgrades legacy variants in place: _entity_migrations without source columns, _theme_migrations', async () => {
      const { cli, query, db } = await setup({
        'migrations/001_init.sql': 'SELECT 1/0;\n',
        'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
        'contents/themes/t1/migrations/001_theme_setup.sql': 'SELECT 1/0;\n',
        'contents/themes/t1/migrations/002_theme_more.sql': 'CREATE TABLE theme_more (id INT);\n',
        'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': 'SELECT 1/0;\n',
        'contents/plugins/p1/entities/notes/migrations/001_create_notes.sql': 'SELECT 1/0;\n',
      });
      const c = await connectForTest(db.url);
      await c.exec(`
        CREATE TABLE "_migrations" (id SERIAL PRIMARY KEY, filename TEXT UNIQUE NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
        CREATE TABLE "_entity_migrations" (id SERIAL PRIMARY KEY, entity_name TEXT NOT NULL, filename TEXT NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, UNIQUE(entity_name, filename));
        CREATE TABLE "_theme_migrations" (id SERIAL PRIMARY KEY, theme_name TEXT NOT NULL, filename TEXT NOT NULL, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, UNIQUE(theme_name, filename));
        INSERT INTO "_migrations" (filename) VALUES ('001_init.sql');
        INSERT INTO "_entity_migrations" (entity_name, filename) VALUES ('tasks', '001_create_tasks.sql'), ('notes', '001_create_notes.sql');
        INSERT INTO "_theme_migrations" (theme_name, filename) VALUES ('t1', '001_theme_setup.sql');
      `);
      await c.close();
      const run = await cli();
      assert.equal(run.code, 0, JSON.stringify(run.json?.error));
      assert.deepEqual(applied(run), ['contents/themes/t1/migrations/002_theme_more.sql']);
      const entities = await query<{ entity_name: string; source_type: string; source_name: string }>(
        `SELECT entity_name, source_type, source_name FROM _entity_migrations ORDER BY id`,
      );
      assert.deepEqual(entities, [
        { entity_name: 'tasks', source_type: 'theme', source_name: 't1' },
        { entity_name: 'notes', source_type: 'plugin', source_name: 'p1' },
      ]);
      const notNull = await query<{ is_nullable: string }>(
        `SELECT is_nullable FROM information_schema.columns WHERE table_name = '_entity_migrations' AND column_name IN ('source_type', 'source_name')`,
      );
      assert.deepEqual(notNull.map((r) => r.is_nullable), ['NO', 'NO']);
      const content = await query<{ source_type: string; source_name: string; filename: string }>(
        `SELECT source_type, source_name, filename FROM _content_migrations ORDER BY id`,
      );
      assert.deepEqual(content.map((r) => `${r.source_type}/${r.source_name}/${r.filename}`), ['theme/t1/001_theme_setup.sql', 'theme/t1/002_theme_more.sql']);
    });

    test('sample data is skipped and not recorded when NODE_ENV=production; --sample-data forces it', async () => {
      const { cli, query } = await setup();
      const prod = await cli([], { NODE_ENV: 'production' });
      assert.equal(prod.code, 0);
      const skipped = prod.json!.migrations.filter((m) => m.status === 'sample-data-skipped').map((m) => m.filename);
      assert.deepEqual(skipped, ['003_users_sample_data.sql', '004_tasks_sample_data.sql']);
      assert.equal((await query(`SELECT 1 FROM _migrations WHERE filename = '003_users_sample_data.sql'`)).length, 0);
      const forced = await cli(['--sample-data'], { NODE_ENV: 'production' });
      assert.deepEqual(applied(forced).map((p) => path.basename(p!)), ['003_users_sample_data.sql', '004_tasks_sample_data.sql']);
    });

    test('--dry-run lists what would run and executes nothing', async () => {
      const { cli, publicTables } = await setup();
      const run = await cli(['--dry-run']);
      assert.equal(run.code, 0);
      assert.deepEqual(run.json!.migrations.filter((m) => m.status === 'pending').map((m) => m.path), EXPECTED_ORDER);
      assert.deepEqual(await publicTables(), [], 'not even the tracking tables are created');
    });

    const badInputs: { name: string; files?: Record<string, string>; env?: Record<string, string | undefined>; args?: string[]; code: number; pattern: RegExp }[] = [
      { name: 'no active theme', env: { NEXT_PUBLIC_ACTIVE_THEME: undefined }, code: 2, pattern: /no active theme.*Available themes: t1, t2/s },
      { name: 'a theme that does not exist', env: { NEXT_PUBLIC_ACTIVE_THEME: 'nope' }, code: 2, pattern: /theme "nope".*not found.*Available themes: t1, t2/s },
      { name: 'a theme name escaping contents/', args: ['--theme', '../../etc'], code: 2, pattern: /not a plain folder name/ },
      {
        name: 'a plugin listed but absent',
        files: { 'contents/themes/t1/config/theme.config.ts': themeConfig(['p1', 'ghost']) },
        code: 2,
        pattern: /plugin "ghost".*contents\/plugins\/ghost/,
      },
      {
        name: 'a plugin name escaping contents/',
        files: { 'contents/themes/t1/config/theme.config.ts': themeConfig(['../t2']) },
        code: 2,
        pattern: /not a plain folder name/,
      },
      {
        name: 'a non-literal plugins value',
        files: { 'contents/themes/t1/config/theme.config.ts': "import { all } from './all';\nexport default { plugins: all() };\n" },
        code: 2,
        pattern: /contents\/themes\/t1\/config\/theme\.config\.ts:2:27/,
      },
      { name: 'a file without a leading number', files: { 'migrations/init.sql': 'SELECT 1;\n' }, code: 1, pattern: /migrations\/init\.sql has no leading number/ },
      {
        name: 'two entities with one name',
        files: { 'contents/plugins/p2/entities/tasks/migrations/001_tasks.sql': 'SELECT 1;\n' },
        code: 1,
        pattern: /entity "tasks" is defined in 2 folders/,
      },
      { name: 'an unknown option', args: ['--frobnicate'], code: 2, pattern: /frobnicate/ },
      {
        name: 'COMMIT inside a file (would split it from its tracking row)',
        files: { 'migrations/002_audit.sql': 'CREATE TABLE IF NOT EXISTS audit (id INT);\nDO $$ BEGIN PERFORM 1; END $$;\n  COMMIT;\n' },
        code: 1,
        pattern: /migrations\/002_audit\.sql:3:3: COMMIT inside a migration file/,
      },
    ];
    for (const bad of badInputs) {
      test(`bad input: ${bad.name} → exit ${bad.code}, clear message, database untouched`, async () => {
        const { cli, publicTables } = await setup({ ...fixtureFiles(), ...(bad.files ?? {}) });
        const run = await cli(bad.args ?? [], bad.env ?? {});
        assert.equal(run.code, bad.code, run.stdout + run.stderr);
        assert.equal(run.json!.ok, false);
        assert.match([run.json!.error!.message, run.json!.error!.file, run.json!.error!.hint, ...run.json!.problems.map((p) => p.message)].join('\n'), bad.pattern);
        assert.deepEqual(await publicTables(), []);
      });
    }
  });
}
