// End-to-end: `migrate --backup` and `restore`, on the embedded database and on a
// server. A backup taken before a migration that fails is restored, and the
// database is back exactly (catalog snapshot, tracking rows, and on the server a
// pg_dump --schema-only); nothing pending takes no backup; a missing or too old
// pg_dump stops the run before anything is applied; restore refuses without --yes
// when nobody can confirm; no password reaches the output or pg_dump's argv.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { snapshotCatalog } from '../src/verify/shadow/catalog.js';

const base = {
  'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS accounts (id INT PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO accounts VALUES (1, \'first\') ON CONFLICT DO NOTHING;\n',
  'contents/themes/t1/config/theme.config.ts': themeConfig([]),
};
/** Applied by the run that takes the backup: a table, rows, a schema of its own (restore must remove them all). */
const later = {
  'migrations/002_later.sql': "CREATE SCHEMA IF NOT EXISTS reporting;\nCREATE TABLE IF NOT EXISTS reporting.totals (n INT);\nCREATE TABLE IF NOT EXISTS notes (id INT);\nINSERT INTO accounts VALUES (2, 'second') ON CONFLICT DO NOTHING;\n",
  'contents/themes/t1/migrations/001_theme.sql': 'CREATE TABLE IF NOT EXISTS theme_things (id INT);\n',
};
/** Fails at run time, after 002 and the theme file applied. */
const failing = { 'migrations/003_fails.sql': 'CREATE TABLE IF NOT EXISTS never (id INT);\nSELECT 1 / 0;\n' };

interface BackupJson {
  backup?: { path: string; method: string; bytes: number; durationMs: number; restoreCommand: string } | { skipped: string };
}

/** The state a restore must bring back: the catalog (with row counts) and every tracking row. */
async function stateOf(url: string): Promise<{ catalog: [string, string][]; rows: unknown[] }> {
  const c = await connectForTest(url);
  try {
    const db = { query: async <R>(sql: string, params?: readonly unknown[]) => (await c.query<R>(sql, params as unknown[])).rows, exec: (sql: string) => c.exec(sql) };
    const catalog = [...(await snapshotCatalog(db)).entries()].sort(([a], [b]) => a.localeCompare(b));
    const rows = (
      await c.query(`SELECT 'core' AS t, filename, checksum, executed_at::text AS at FROM _migrations
                     UNION ALL SELECT source_type || ':' || source_name, filename, checksum, executed_at::text FROM _content_migrations
                     UNION ALL SELECT entity_name, filename, checksum, executed_at::text FROM _entity_migrations ORDER BY 1, 2`)
    ).rows;
    return { catalog, rows };
  } finally {
    await c.close();
  }
}

function majorOf(text: string): number {
  return Number(/\(PostgreSQL\)\s+(\d+)/.exec(text)?.[1] ?? 0);
}

for (const backend of backends) {
  describe(`migrate --backup and restore on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`backup and restore on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    const root = writeProject(base);
    cleanup.push(() => removeProject(root));
    const backupsDir = path.join(root, '.tiered-migrate', 'backups');
    let url = '';
    let env: Record<string, string> = { NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    /** The password of the server URL (one is added when the test server needs none: trust ignores it). */
    let password = '';
    /** Why pg_dump cannot back this server up (absent, or older), or null when it can. */
    let pgDumpProblem: string | null = null;
    let serverMajor = 0;
    const dumpLog = path.join(root, 'pg_dump-argv.log');
    const cli = (args: string[], extra: Record<string, string | undefined> = {}) => runCli([args[0]!, '--root', root, '--no-env-file', ...args.slice(1)], { ...env, ...extra });
    const backupFiles = () => (existsSync(backupsDir) ? readdirSync(backupsDir) : []);

    before(async () => {
      if (backend.name === 'pglite') {
        // The default embedded database of the project (.pglite), from the test template.
        const db: TestDatabaseHandle = await backend.createDatabase();
        cleanup.push(() => db.drop());
        url = db.url;
        env = { ...env, DATABASE_URL: url };
      } else {
        const db = await backend.createDatabase();
        cleanup.push(() => db.drop());
        const parsed = new URL(db.url);
        if (!parsed.password) parsed.password = 'TmBackupS3cret';
        password = decodeURIComponent(parsed.password);
        url = parsed.toString();
        const c = await connectForTest(url);
        serverMajor = Math.floor(Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10000);
        await c.close();
        const found = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' });
        const dumpMajor = found.status === 0 ? majorOf(found.stdout) : 0;
        if (found.status !== 0) pgDumpProblem = 'pg_dump is not on PATH';
        else if (dumpMajor < serverMajor) pgDumpProblem = `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${serverMajor} server (the pass against a PostgreSQL ${dumpMajor} server runs the round trip)`;
        // pg_dump through a wrapper that logs its argv: the password must not be in it.
        const wrapper = path.join(root, 'pg_dump-wrapper.sh');
        writeFileSync(wrapper, `#!/bin/sh\nprintf '%s pgpassword=%s\\n' "$*" "\${PGPASSWORD:+set}" >> '${dumpLog}'\nexec pg_dump "$@"\n`);
        chmodSync(wrapper, 0o755);
        env = { ...env, DATABASE_URL: url, PG_DUMP: wrapper };
      }
      const first = await cli(['migrate']);
      assert.equal(first.code, 0, first.stderr + first.stdout);
    });

    test('nothing pending: no backup is taken, and the output says so', async () => {
      const before = backupFiles();
      const run = await cli(['migrate', '--backup']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /No backup: nothing is pending/);
      assert.deepEqual(backupFiles(), before);
      if (backend.name === 'pglite') return; // the document is the same on both; each PGlite run costs seconds
      const json = await cli(['migrate', '--backup', '--json']);
      assert.equal(json.code, 0, json.stderr);
      assert.match(String((JSON.parse(json.stdout) as BackupJson & { backup: { skipped: string } }).backup.skipped), /nothing is pending/);
    });

    test('a backup path outside the project root, or inside a git work tree and not ignored, is refused before connecting', async (t) => {
      addFiles(root, later);
      const outside = await cli(['migrate', '--backup', '../elsewhere.dump']);
      assert.equal(outside.code, 2, outside.stderr);
      assert.match(outside.stderr, /is outside the project root/);
      if (spawnSync('git', ['--version']).status !== 0) {
        t.diagnostic('git is not installed: the work-tree check is not exercised');
      } else {
        execFileSync('git', ['init', '-q'], { cwd: root });
        const tracked = await cli(['migrate', '--backup', 'backups/now.dump']);
        rmGit(root);
        assert.equal(tracked.code, 2, tracked.stderr);
        assert.match(tracked.stderr, /inside the git work tree .* where it is not ignored/);
      }
      // Nothing was applied: the round trip below sees 002 applied by its own run.
    });

    if (backend.name === 'postgres') {
      test('a missing or too old pg_dump is a clear error naming both versions, and nothing is applied', async () => {
        const old = path.join(root, 'old-pg_dump.sh');
        writeFileSync(old, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.3"\n');
        chmodSync(old, 0o755);
        const tooOld = await cli(['migrate', '--backup'], { PG_DUMP: old });
        assert.equal(tooOld.code, 2, tooOld.stderr);
        assert.match(tooOld.stderr, new RegExp(`pg_dump 12 .* is older than the server, PostgreSQL ${serverMajor}`));
        assert.match(tooOld.stderr, new RegExp(`postgresql-client-${serverMajor}.*PG_DUMP`));
        const absent = await cli(['migrate', '--backup', '--json'], { PG_DUMP: path.join(root, 'no-such-pg_dump') });
        assert.equal(absent.code, 2);
        assert.equal(absent.json!.error!.code, 'CONFIG');
        assert.match(absent.json!.error!.message, /pg_dump was not found/);
        const c = await connectForTest(url);
        const rows = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM _migrations')).rows[0]!.n;
        const notes = (await c.query(`SELECT 1 FROM pg_tables WHERE tablename = 'notes'`)).rows;
        await c.close();
        assert.equal(rows, 1, 'only the first file is recorded');
        assert.deepEqual(notes, [], '002 did not run');
      });
    }

    test('a backup taken before a migration that fails is restored, and the database is back exactly', async (t) => {
      const expected = await stateOf(url);
      const schemaDump = () => execFileSync('pg_dump', ['--schema-only', `--dbname=${url}`], { encoding: 'utf8' }).split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
      if (backend.name === 'postgres' && pgDumpProblem) {
        // CI's first pass: a PostgreSQL 18 server beside Debian's pg_dump 15. The backup must refuse, clearly.
        const refused = await cli(['migrate', '--backup']);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /pg_dump (was not found|\d+ .* is older than the server)/);
        assert.deepEqual(await stateOf(url), expected, 'nothing was applied');
        return t.skip(`${pgDumpProblem}: checked the clear error instead of the round trip`);
      }
      const expectedDump = backend.name === 'postgres' ? schemaDump() : null;
      addFiles(root, failing);
      const run = await cli(['migrate', '--backup', '--json']);
      assert.equal(run.code, 1, run.stderr);
      const doc = JSON.parse(run.stdout) as BackupJson & { migrations: { filename: string; status: string }[]; error: { code: string } };
      assert.equal(doc.error.code, 'MIGRATION_FAILED');
      // The core tier runs first: 002 applies, 003 fails, the theme's file stays pending.
      assert.deepEqual(doc.migrations.filter((m) => m.status === 'applied').map((m) => m.filename), ['002_later.sql']);
      const backup = doc.backup as { path: string; method: string; bytes: number; restoreCommand: string };
      assert.equal(backup.method, backend.name === 'pglite' ? 'pglite' : 'pg_dump');
      assert.ok(backup.bytes > 0 && statSync(backup.path).size === backup.bytes);
      assert.equal(path.dirname(backup.path), backupsDir);
      assert.equal(statSync(backup.path).mode & 0o777, 0o600, 'the backup is owner-only');
      assert.equal(statSync(backupsDir).mode & 0o777, 0o700, 'its folder is owner-only');
      const relative = path.relative(root, backup.path);
      assert.equal(backup.restoreCommand, `npx tiered-migrate restore ${relative}`);

      const refused = await runCli(['restore', relative, '--root', root, '--no-env-file'], env);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /refusing to restore without --yes: stdin is not a terminal/);
      const production = await cli(['restore', relative], { NODE_ENV: 'production' });
      assert.equal(production.code, 2);
      assert.match(production.stderr, /refusing to restore without --yes: NODE_ENV=production/);

      const restored = await cli(['restore', relative, '--yes']);
      assert.equal(restored.code, 0, restored.stderr + restored.stdout);
      assert.match(restored.stdout, /tracking rows: 1 in the backup, 2 in the database now/);
      assert.match(restored.stdout, /tracking rows: 2 before, 1 now/);
      if (backend.name === 'postgres') assert.match(restored.stdout, /dropped schemas public, reporting/);
      assert.deepEqual(await stateOf(url), expected, 'catalog, row counts and tracking rows are those of the backup');
      if (expectedDump !== null) assert.equal(schemaDump(), expectedDump, 'pg_dump --schema-only is the same');

      if (backend.name === 'postgres') {
        const outputs = [run, refused, production, restored].map((r) => r.stdout + r.stderr).join('\n');
        assert.ok(!outputs.includes(`:${password}@`), 'no URL with its password in the output');
        if (password !== new URL(url).username) assert.ok(!outputs.includes(password), 'the password is nowhere in the output');
        const argv = readFileSync(dumpLog, 'utf8');
        assert.match(argv, /--format=custom --dbname=postgres:\/\/.* pgpassword=set/);
        assert.ok(!argv.includes(password), "the password is not in pg_dump's argv (ps shows it)");

        // A damaged backup (cut short) changes nothing: psql never sees the end of its script.
        const cut = path.join(root, 'cut.dump');
        writeFileSync(cut, readFileSync(backup.path).subarray(0, statSync(backup.path).size - 100));
        await cli(['migrate']); // 002 again, so that a wrongly committed half restore would show
        const before = await stateOf(url);
        const damaged = await cli(['restore', 'cut.dump', '--yes']);
        assert.notEqual(damaged.code, 0, damaged.stdout);
        assert.match(damaged.stderr, /nothing was changed|cannot read/);
        assert.deepEqual(await stateOf(url), before, 'the database is as it was');
      }
    });
  });
}

function rmGit(root: string): void {
  rmSync(path.join(root, '.git'), { recursive: true, force: true });
}
