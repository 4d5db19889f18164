// End-to-end: input the engine must refuse or follow rather than silently get
// wrong (issue 14): text that is not UTF-8, symbolic links, psql client features,
// malformed database URLs. Once per backend where a database is involved.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject, type CliRun } from './support/project.js';

const base = (): Record<string, string> => ({
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS first_table (id INT PRIMARY KEY);\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
  'contents/plugins/p1/migrations/001_p1.sql': 'CREATE TABLE IF NOT EXISTS p1_things (id INT PRIMARY KEY);\n',
});

type Problem = { severity: string; code: string; message: string; file: string | null; hint: string | null };
const problemsOf = (run: CliRun, code: string) => (run.json?.problems ?? []).filter((p) => p.code === code) as Problem[];
const appliedPaths = (run: CliRun) => run.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.path);

for (const backend of backends) {
  describe(`input checks on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`input checks on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    async function setup(files: Record<string, string> = base()) {
      const db: TestDatabaseHandle = await backend.createDatabase();
      const root = writeProject(files);
      cleanup.push(() => db.drop(), () => removeProject(root));
      const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
      const cli = (args: string[] = []) => runCli(['migrate', '--root', root, '--json', '--no-env-file', ...args], env);
      const human = (args: string[] = []) => runCli(['migrate', '--root', root, '--no-env-file', ...args], env);
      const publicTables = async () => {
        const c = await connectForTest(db.url);
        try {
          return (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
        } finally {
          await c.close();
        }
      };
      return { root, env, cli, human, publicTables };
    }

    test('a file that is not UTF-8 is refused before anything runs, at the line and column of its first bad byte', async () => {
      const { root, cli, human, publicTables } = await setup();
      // "café" saved as Latin-1: é is the single byte 0xe9.
      writeFileSync(
        path.join(root, 'migrations/002_cafe.sql'),
        Buffer.concat([Buffer.from("CREATE TABLE IF NOT EXISTS drinks (name TEXT);\nINSERT INTO drinks VALUES ('caf"), Buffer.from([0xe9]), Buffer.from("');\n")]),
      );
      const run = await cli();
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.json!.error!.code, 'VALIDATION');
      const [problem, ...more] = problemsOf(run, 'encoding');
      assert.equal(more.length, 0);
      assert.equal(problem!.severity, 'error');
      assert.equal(problem!.file, 'migrations/002_cafe.sql');
      assert.match(problem!.message, /^migrations\/002_cafe\.sql:2:32: .*not valid UTF-8.*0xe9/);
      assert.match(problem!.hint!, /iconv -f latin1 -t utf-8/);
      assert.deepEqual(await publicTables(), [], 'nothing ran, not even 001');

      const text = await human();
      assert.equal(text.code, 1);
      assert.match(text.stderr, /migrations\/002_cafe\.sql:2:32/);
      assert.match(text.stderr, /iconv -f latin1 -t utf-8/);

      // db:verify reports it too, at the same place.
      const verify = await runCli(['verify', '--root', root, '--no-env-file', '--no-db', '--theme', 't1', '--json'], {});
      const finding = JSON.parse(verify.stdout).findings.find((f: { file: string; rule: string }) => f.file === 'migrations/002_cafe.sql' && f.rule === 'syntax');
      assert.ok(finding, verify.stdout);
      assert.deepEqual([finding.severity, finding.line, finding.column], ['error', 2, 32]);
      assert.match(finding.message, /not valid UTF-8/);
      assert.match(finding.fix, /iconv -f latin1 -t utf-8/);
    });

    test('symbolic links inside the project (or its node_modules) are followed: file, entity, plugin, settings area', async () => {
      const { root, cli } = await setup({
        ...base(),
        'shared/sql/002_linked.sql': 'CREATE TABLE IF NOT EXISTS linked_file (id INT);\n',
        'shared/entities/notes/migrations/001_create_notes.sql': 'CREATE TABLE IF NOT EXISTS notes (id INT);\n',
        'shared/branding/migrations/001_branding.sql': 'CREATE TABLE IF NOT EXISTS branding (id INT);\n',
        'vendor/p2/migrations/001_p2.sql': 'CREATE TABLE IF NOT EXISTS p2_things (id INT);\n',
        'contents/themes/t1/config/theme.config.ts': themeConfig(['p1', 'p2']),
      });
      // node_modules itself a link out of the project (a workspace or a shared install): still the project's.
      const modules = mkdtempSync(path.join(tmpdir(), 'tm-modules-'));
      cleanup.push(() => removeProject(modules));
      addFiles(modules, { '@acme/core/migrations/003_from_package.sql': 'CREATE TABLE IF NOT EXISTS from_package (id INT);\n' });
      symlinkSync(modules, path.join(root, 'node_modules'));
      symlinkSync('../shared/sql/002_linked.sql', path.join(root, 'migrations/002_linked.sql'));
      symlinkSync(path.join(root, 'node_modules/@acme/core/migrations/003_from_package.sql'), path.join(root, 'migrations/003_from_package.sql'));
      mkdirSync(path.join(root, 'contents/themes/t1/entities'), { recursive: true });
      symlinkSync('../../../../shared/entities/notes', path.join(root, 'contents/themes/t1/entities/notes'));
      mkdirSync(path.join(root, 'contents/themes/t1/settings'), { recursive: true });
      symlinkSync(path.join(root, 'shared/branding'), path.join(root, 'contents/themes/t1/settings/branding'));
      symlinkSync('../../vendor/p2', path.join(root, 'contents/plugins/p2'));

      const run = await cli();
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(appliedPaths(run), [
        'migrations/001_init.sql',
        'migrations/002_linked.sql',
        'migrations/003_from_package.sql',
        'contents/themes/t1/settings/branding/migrations/001_branding.sql',
        'contents/plugins/p1/migrations/001_p1.sql',
        'contents/plugins/p2/migrations/001_p2.sql',
        'contents/themes/t1/entities/notes/migrations/001_create_notes.sql',
      ]);
    });

    const outside = mkdtempSync(path.join(tmpdir(), 'tm-outside-'));
    after(() => removeProject(outside));
    writeFileSync(path.join(outside, '002_outside.sql'), 'CREATE TABLE outside_file (id INT);\n');
    mkdirSync(path.join(outside, 'tasks', 'migrations'), { recursive: true });
    writeFileSync(path.join(outside, 'tasks', 'migrations', '001_tasks.sql'), 'CREATE TABLE outside_tasks (id INT);\n');
    const refusedLinks: { name: string; link: string; target: string; pattern: RegExp }[] = [
      { name: 'a .sql file linked from outside the project', link: 'migrations/002_outside.sql', target: path.join(outside, '002_outside.sql'), pattern: /migrations\/002_outside\.sql.*outside the project/ },
      { name: 'an entity folder linked from outside the project', link: 'contents/themes/t1/entities/tasks', target: path.join(outside, 'tasks'), pattern: /contents\/themes\/t1\/entities\/tasks.*outside the project/ },
      { name: 'a dangling .sql link', link: 'migrations/002_gone.sql', target: '../nowhere/002_gone.sql', pattern: /migrations\/002_gone\.sql.*\.\.\/nowhere\/002_gone\.sql.*does not exist/ },
      { name: 'a dangling entity link', link: 'contents/themes/t1/entities/ghost', target: 'missing-folder', pattern: /contents\/themes\/t1\/entities\/ghost.*missing-folder.*does not exist/ },
    ];
    for (const bad of refusedLinks) {
      test(`symbolic links: ${bad.name} is a configuration error naming the link and its target; nothing runs`, async () => {
        const { root, cli, publicTables } = await setup();
        mkdirSync(path.dirname(path.join(root, bad.link)), { recursive: true });
        symlinkSync(bad.target, path.join(root, bad.link));
        const run = await cli();
        assert.equal(run.code, 2, run.stdout + run.stderr);
        assert.equal(run.json!.error!.code, 'CONFIG');
        assert.match(run.json!.error!.message, bad.pattern);
        if (!bad.target.startsWith('.') && path.isAbsolute(bad.target)) assert.ok(run.json!.error!.message.includes(bad.target), run.json!.error!.message);
        assert.deepEqual(await publicTables(), []);
      });
    }

    test('psql meta-commands are refused before anything runs, each at its place, with what to do instead', async () => {
      const { root, cli, publicTables } = await setup();
      addFiles(root, {
        'migrations/002_psql.sql': "\\set ON_ERROR_STOP on\nCREATE TABLE IF NOT EXISTS a (id INT);\n  \\i other.sql\nSELECT 'a \\ backslash in a string';\nSELECT 1 \\gset\n",
      });
      const run = await cli();
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const found = problemsOf(run, 'psql-feature');
      assert.deepEqual(
        found.map((p) => p.message.split(': ')[0]),
        ['migrations/002_psql.sql:1:1', 'migrations/002_psql.sql:3:3', 'migrations/002_psql.sql:5:10'],
      );
      assert.match(found[0]!.message, /\\set is a psql meta-command, not SQL/);
      assert.match(found[1]!.message, /\\i is a psql meta-command/);
      assert.match(found[1]!.hint!, /own numbered migration/);
      assert.deepEqual(await publicTables(), []);
    });

    test('COPY … FROM STDIN with inline data is refused before anything runs, pointing at the COPY, with the alternatives', async () => {
      const { root, cli, human, publicTables } = await setup();
      addFiles(root, {
        'migrations/002_copy.sql': "CREATE TABLE IF NOT EXISTS c (id INT, name TEXT);\n\nCOPY c (id, name) FROM stdin;\n1\tone\n2\t'two\n\\.\nINSERT INTO c VALUES (3, 'three');\nCOMMIT;\n",
      });
      const run = await cli();
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const [copy, ...more] = problemsOf(run, 'psql-feature');
      assert.equal(more.length, 0, JSON.stringify(more));
      assert.match(copy!.message, /^migrations\/002_copy\.sql:3:1: COPY … FROM STDIN/);
      assert.match(copy!.hint!, /INSERT … VALUES/);
      assert.match(copy!.hint!, /_sample_data\.sql/);
      // What follows the data is still checked.
      assert.deepEqual(problemsOf(run, 'transaction-control').map((p) => p.message.split(': ')[0]), ['migrations/002_copy.sql:8:1']);
      assert.deepEqual(await publicTables(), []);
      const text = await human();
      assert.match(text.stderr, /psql client feature/);
    });
  });
}

test('malformed database URLs are configuration errors that say what is wrong, never printing the password', async () => {
  const root = writeProject(base());
  try {
    const cases: { url: string; password: string; encodeHint: boolean; pattern: RegExp }[] = [
      { url: 'postgres://app:Pa55word@127.0.0.1:54x2/app', password: 'Pa55word', encodeHint: false, pattern: /port \\?"54x2\\?" is not a number/ },
      { url: 'postgres://app:Sup3r#Secret@127.0.0.1:5432/app', password: 'Sup3r#Secret', encodeHint: true, pattern: /password/ },
      { url: 'postgres://app:Sup3r/Secret@127.0.0.1:5432/app', password: 'Sup3r/Secret', encodeHint: true, pattern: /password/ },
      { url: 'postgres://app:S@up3r#Se/cret@db.example.com/app', password: 'S@up3r#Se/cret', encodeHint: true, pattern: /password/ },
      // Parses as a URL, but to host "app" and port 12: the password's "/" ended the authority.
      { url: 'postgres://app:12/Secret-Pw@db.example.com:5432/app', password: '12/Secret-Pw', encodeHint: true, pattern: /password/ },
      { url: 'postgres://app:Pa55word@127.0.0.1:99999/app', password: 'Pa55word', encodeHint: false, pattern: /port 99999.*(range|65535)/ },
    ];
    for (const { url, password, encodeHint, pattern } of cases) {
      for (const json of [true, false]) {
        for (const variable of ['DATABASE_URL', 'MIGRATE_DATABASE_URL']) {
          const run = await runCli(['migrate', '--root', root, '--no-env-file', ...(json ? ['--json'] : [])], { [variable]: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
          const output = `${run.stdout}\n${run.stderr}`;
          assert.equal(run.code, 2, `${url}: ${output}`);
          if (json) assert.equal(run.json!.error!.code, 'CONFIG');
          assert.match(output, new RegExp(variable));
          assert.match(output, pattern);
          if (encodeHint) assert.match(output, /@ as %40.*# as %23.*\/ as %2F/s, output);
          for (const secret of [password, ...password.split(/[@#/]/).filter((s) => s.length >= 3)]) {
            assert.ok(!output.includes(secret), `${url}: password text "${secret}" printed: ${output}`);
          }
          assert.doesNotMatch(output, /unexpected error|Invalid URL/);
        }
      }
      const verify = await runCli(['verify', '--root', root, '--no-env-file', '--json'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
      assert.equal(verify.code, 2, verify.stdout + verify.stderr);
      assert.ok(!`${verify.stdout}${verify.stderr}`.includes(password));
    }
  } finally {
    removeProject(root);
  }
});
