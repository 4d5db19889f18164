// A failing file is located from what the server said (never by running it again),
// and the errors people meet come with a hint computed from the corpus. Once per
// backend, on one database: the command line first (human and --json), then the
// API on a connection of the test's own, whose every message is recorded.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { backends, createLoginRoleSql, type TestDatabaseHandle } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { migrate } from '../src/api/migrate.js';
import type { RunResult } from '../src/run/events.js';
import type { MigrationFile, Source } from '../src/core/types.js';
import { DatabaseError, type PostgresErrorFields } from '../src/core/errors.js';
import { loadParser } from '../src/sql/statements.js';
import { failureHint } from '../src/run/hints.js';
import { locateFailureWith } from '../src/run/locate-failure.js';

/** A connection of the test's own that records the text of every message sent on it. */
interface Spied {
  client: object;
  sent: string[];
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function spiedConnection(url: string): Promise<Spied> {
  const sent: string[] = [];
  if (url.startsWith('pglite:')) {
    const instance = new PGlite(url.slice('pglite:'.length));
    await instance.waitReady;
    // Every path of PGlite (exec, query, transactions, the raw protocol) ends here.
    const raw = instance.execProtocolRaw.bind(instance);
    instance.execProtocolRaw = (message, options) => {
      sent.push(Buffer.from(message).toString('utf8'));
      return raw(message, options);
    };
    return { client: instance, sent, exec: async (sql) => void (await instance.exec(sql)), close: () => instance.close() };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    sent.push(typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]));
    return query(...args);
  };
  return { client, sent, exec: async (sql) => void (await client.query(sql)), close: () => client.end() };
}

/** How many recorded messages carry `marker`. */
const sends = (spied: Spied, marker: string) => spied.sent.filter((text) => text.includes(marker)).length;

const THEME = { 'contents/themes/t1/config/theme.config.ts': themeConfig([]) };

// The pure parts, without a database: the hint from the corpus, the location from the count.
const pgError = (sqlstate: string, message: string): PostgresErrorFields => ({
  message,
  sqlstate,
  detail: null,
  hint: null,
  position: null,
  where: null,
  internalPosition: null,
  internalQuery: null,
});
const CORE: Source = { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir: 'migrations', entityDir: null };
const ENTITY: Source = {
  tier: 'entity',
  table: '_entity_migrations',
  sourceType: 'theme',
  sourceName: 't1',
  entity: 'tasks',
  entityDepth: 0,
  dir: 'contents/themes/t1/entities/tasks/migrations',
  entityDir: 'contents/themes/t1/entities/tasks',
};
const fileOf = (source: Source, filename: string, content: string): MigrationFile => ({
  source,
  filename,
  path: `${source.dir}/${filename}`,
  number: 1n,
  content,
  checksum: '',
  sampleData: false,
});

describe('failure hints and location, pure', () => {
  test('a quoted mixed-case name created by a later entity file; one created further down the same file', async () => {
    const parser = await loadParser();
    const failing = fileOf(CORE, '001_a.sql', 'SELECT 1;\nCREATE VIEW v AS SELECT * FROM "Tasks";\nCREATE TABLE IF NOT EXISTS local_t (id INT);\n');
    const later = fileOf(ENTITY, '001_tasks.sql', 'CREATE TABLE IF NOT EXISTS "Tasks" (id INT);\n');
    const files = [failing, later];
    const hint = failureHint(parser, { pg: pgError('42P01', 'relation "Tasks" does not exist'), file: failing, statement: 1, files });
    assert.match(hint ?? '', /^The entity tasks migration contents\/themes\/t1\/entities\/tasks\/migrations\/001_tasks\.sql creates "Tasks" \(line 1\), but it runs after this file/);
    const same = failureHint(parser, { pg: pgError('42P01', 'relation "local_t" does not exist'), file: failing, statement: 0, files });
    assert.equal(same, '"local_t" is created further down in this file (line 3): move that statement above the one that uses it.');
    const none = failureHint(parser, { pg: pgError('42P01', 'relation "public.ghost" does not exist'), file: failing, statement: 1, files });
    assert.match(none ?? '', /^No migration of this setup creates "ghost"/);
  });

  test('ADD CONSTRAINT that exists: the guarded DO block; an unrelated error: no hint', async () => {
    const parser = await loadParser();
    const file = fileOf(CORE, '001_a.sql', 'ALTER TABLE t ADD CONSTRAINT t_positive CHECK (id > 0);\n');
    const hint = failureHint(parser, { pg: pgError('42710', 'constraint "t_positive" for relation "t" already exists'), file, statement: 0, files: [file] });
    assert.match(hint ?? '', /^ADD CONSTRAINT has no IF NOT EXISTS form: guard it, DO \$\$ BEGIN ALTER TABLE … ADD CONSTRAINT …; EXCEPTION WHEN duplicate_object/);
    assert.equal(failureHint(parser, { pg: pgError('22012', 'division by zero'), file, statement: 0, files: [file] }), null);
  });

  test('the count of completed statements maps to the statement; past the file (its tracking row, COMMIT) there is no place', async () => {
    const parser = await loadParser();
    const text = '-- header\nSELECT 1;\n\n  SELECT 2;\nSELECT 3;\n';
    const at = (completed: number) => locateFailureWith(parser, text, new DatabaseError(pgError('23505', 'x'), undefined, completed));
    assert.deepEqual([at(0)?.line, at(0)?.column, at(0)?.statement], [2, 1, 0]);
    assert.deepEqual([at(1)?.line, at(1)?.column, at(1)?.text], [4, 3, '  SELECT 2;']);
    assert.equal(at(3), null);
    assert.equal(locateFailureWith(parser, text, new DatabaseError(pgError('23505', 'x'))), null, 'no count, no position: no guess');
  });
});

for (const backend of backends) {
  describe(`failure location and hints on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`failure location on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    let handle: TestDatabaseHandle | null = null;
    const database = async () => {
      if (!handle) {
        handle = await backend.createDatabase();
        const made = handle;
        cleanup.push(() => made.drop());
      }
      return handle;
    };
    let spied: Spied | null = null;
    const connection = async () => {
      if (!spied) {
        spied = await spiedConnection((await database()).url);
        const opened = spied;
        cleanup.push(() => opened.close());
      }
      return spied;
    };
    /** Runs migrate through the API on the spied connection, on a project of `files`. */
    const run = async (files: Record<string, string>): Promise<RunResult> => {
      const root = writeProject({ ...THEME, ...files });
      cleanup.push(() => removeProject(root));
      // Each test brings its own files: the rows of earlier tests' files are "missing" here.
      return migrate({ root, database: (await connection()).client, theme: 't1', coreDir: 'migrations', allowMissing: true });
    };

    // The command line opens the database itself: these come before the API's connection.
    const referencesPluginTable = {
      'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
      'migrations/001_audit.sql': 'CREATE TABLE IF NOT EXISTS cli_audit (id INT PRIMARY KEY, "thingId" INT REFERENCES plugin_things(id));\n',
      'contents/plugins/p1/migrations/001_things.sql': 'CREATE TABLE IF NOT EXISTS plugin_things (id INT PRIMARY KEY);\n',
    };
    const pluginHint = /The plugin p1 migration contents\/plugins\/p1\/migrations\/001_things\.sql creates "plugin_things" \(line 1\), but it runs after this file \(file 2 of 2 in the run order; this is file 1/;

    test('a core file referencing a plugin table: the hint names the plugin file and that it runs later (--json and human)', async () => {
      const root = writeProject(referencesPluginTable);
      cleanup.push(() => removeProject(root));
      const env = { DATABASE_URL: (await database()).url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
      const json = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], env);
      assert.equal(json.code, 1, json.stderr);
      const error = json.json!.error as NonNullable<RunResult['error']>;
      assert.equal(error.sqlstate, '42P01');
      assert.equal(error.file, 'migrations/001_audit.sql');
      assert.match(error.fix ?? '', pluginHint);
      const human = await runCli(['migrate', '--root', root, '--no-env-file'], env);
      assert.equal(human.code, 1);
      assert.match(human.stderr, /ERROR 42P01: relation "plugin_things" does not exist/);
      assert.match(human.stderr, new RegExp(`→ ${pluginHint.source}`));
    });

    test('a run-time error in the 3rd of 5 statements is located at that statement, and the file was sent once', async () => {
      const text = [
        "CREATE TABLE IF NOT EXISTS loc_t (id INT PRIMARY KEY, note TEXT DEFAULT 'marker:loc-once');",
        'INSERT INTO loc_t VALUES (1);',
        '-- the duplicate',
        '  INSERT INTO loc_t',
        '  VALUES (1);',
        'INSERT INTO loc_t VALUES (2);',
        'SELECT 1;',
        '',
      ].join('\n');
      const result = await run({ 'migrations/001_loc.sql': text });
      const error = result.error!;
      assert.equal(error.code, 'MIGRATION_FAILED');
      assert.equal(error.sqlstate, '23505');
      assert.deepEqual([error.file, error.line, error.column, error.sourceLine], ['migrations/001_loc.sql', 4, 3, '  INSERT INTO loc_t']);
      // A replay would send the file's statements again, one by one.
      assert.equal(sends(await connection(), 'marker:loc-once'), 1, 'the file is sent once and never replayed');
      assert.equal(result.migrations.find((m) => m.path === 'migrations/001_loc.sql')!.status, 'failed');
    });

    test('a syntax error is located at the position the server gives', async () => {
      const result = await run({ 'migrations/002_syntax.sql': 'SELECT 1;\n-- marker:syntax\nSELECT 2;\n  SELEC 3;\n' });
      assert.equal(result.error!.sqlstate, '42601');
      assert.deepEqual([result.error!.line, result.error!.column], [4, 3]);
      assert.equal(sends(await connection(), 'marker:syntax'), 1);
    });

    test('a DO block failing: the statement inside it, at the line and column the server quotes; no migration creates the table', async () => {
      const text = "SELECT 1;\nDO $body$\nBEGIN\n  PERFORM 1; -- marker:do-block\n  INSERT INTO nowhere_x VALUES (1);\nEND $body$;\n";
      const result = await run({ 'migrations/003_do.sql': text });
      const error = result.error!;
      assert.equal(error.sqlstate, '42P01');
      assert.deepEqual([error.line, error.column, error.sourceLine], [5, 15, '  INSERT INTO nowhere_x VALUES (1);']);
      assert.match(error.fix ?? '', /^No migration of this setup creates "nowhere_x"/);
      assert.equal(sends(await connection(), 'marker:do-block'), 1);
    });

    test('a statement stopped by statement_timeout is located, and the file is not run again', async (t) => {
      if (backend.name !== 'postgres') return t.skip('PGlite runs in-process: a statement timeout never interrupts it');
      const text = "SET LOCAL statement_timeout = '300ms';\nSELECT 'marker:timeout';\nSELECT pg_sleep(30);\nSELECT 2;\n";
      const result = await run({ 'migrations/003_timeout.sql': text });
      assert.equal(result.error!.sqlstate, '57014');
      assert.deepEqual([result.error!.line, result.error!.column], [3, 1]);
      assert.equal(sends(await connection(), 'marker:timeout'), 1);
    });

    test('CREATE TABLE of a table that exists: the hint is the IF NOT EXISTS form', async () => {
      await (await connection()).exec('CREATE TABLE dup_t (id INT)');
      const result = await run({ 'migrations/004_dup.sql': 'SELECT 1;\nCREATE TABLE dup_t (id INT);\n' });
      assert.equal(result.error!.sqlstate, '42P07');
      assert.deepEqual([result.error!.line, result.error!.column], [2, 1]);
      assert.match(result.error!.fix ?? '', /^Write CREATE TABLE IF NOT EXISTS "dup_t"\./);
    });

    test('CREATE POLICY of a policy that exists: the hint is DROP POLICY IF EXISTS before it', async () => {
      await (await connection()).exec('CREATE TABLE pol_t (id INT); CREATE POLICY owner_only ON pol_t USING (true)');
      const result = await run({ 'migrations/005_policy.sql': 'ALTER TABLE pol_t ENABLE ROW LEVEL SECURITY;\nCREATE POLICY owner_only ON pol_t USING (true);\n' });
      assert.equal(result.error!.sqlstate, '42710');
      assert.match(result.error!.fix ?? '', /^Add DROP POLICY IF EXISTS "owner_only" ON "pol_t"; right before it\./);
    });

    test('a core function missing on the database: the hint names the core migration that defines it', async () => {
      const core = {
        'migrations/006_functions.sql':
          'CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW."updatedAt" = now();\n  RETURN NEW;\nEND;\n$$;\n',
      };
      assert.equal((await run(core)).ok, true);
      await (await connection()).exec('DROP FUNCTION public.set_updated_at()');
      const result = await run({
        ...core,
        'contents/themes/t1/entities/notes/migrations/001_notes.sql':
          'CREATE TABLE IF NOT EXISTS fn_notes (id INT, "updatedAt" TIMESTAMPTZ);\nCREATE TRIGGER fn_notes_updated BEFORE UPDATE ON fn_notes FOR EACH ROW EXECUTE FUNCTION set_updated_at();\n',
      });
      const error = result.error!;
      assert.equal(error.sqlstate, '42883');
      assert.equal(error.file, 'contents/themes/t1/entities/notes/migrations/001_notes.sql');
      assert.equal(error.line, 2);
      assert.match(error.fix ?? '', /^The core migration migrations\/006_functions\.sql defines set_updated_at\(\) \(line 1\) and runs before this file: on this database it is missing/);
    });

    test('permission denied (a role that does not own the schema): the hint points MIGRATE_DATABASE_URL at the owner', async (t) => {
      if (backend.name !== 'postgres') return t.skip('PGlite has one user, who owns everything');
      const owner = await connection();
      const role = `hints_app_${randomBytes(4).toString('hex')}`;
      // The tracking tables exist (made by the owner's runs above) and can be read, and the role may
      // create in public (else the preflight refuses before anything runs); the table is not its own.
      await owner.exec(`${createLoginRoleSql(role, (await database()).url)}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}; GRANT CREATE ON SCHEMA public TO ${role}`);
      cleanup.push(async () => {
        const admin = new pg.Client({ connectionString: (await database()).url });
        await admin.connect();
        await admin.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
        await admin.end();
      });
      await owner.exec('CREATE TABLE IF NOT EXISTS owned_t (id INT)');
      const url = new URL((await database()).url);
      url.username = role;
      const root = writeProject({ ...THEME, 'migrations/007_alter.sql': 'ALTER TABLE owned_t ADD COLUMN IF NOT EXISTS note TEXT;\n' });
      cleanup.push(() => removeProject(root));
      const result = await migrate({ root, database: url.toString(), theme: 't1', coreDir: 'migrations', allowMissing: true });
      const error = result.error!;
      assert.equal(error.code, 'MIGRATION_FAILED', error.message);
      assert.equal(error.sqlstate, '42501');
      assert.match(error.message, /must be owner of table owned_t/);
      assert.match(error.fix ?? '', /Set MIGRATE_DATABASE_URL to a URL of that role/);
    });
  });
}
