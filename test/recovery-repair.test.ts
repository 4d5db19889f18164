// repair --forget / --accept, baseline, the history, and cosmetic edits (token
// checksums): the CLI on one fixture project and one database per backend, the
// steps in order (each builds on the state the previous one left). Every
// assertion on the database reads it independently of the code under test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { backends, connectForTest, type TestDatabaseHandle } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject, type CliRun } from './support/project.js';
import type { MigrationFile, Source, TrackedRow } from '../src/core/types.js';
import { buildPlan, hasErrors, tokensWanted } from '../src/core/plan.js';
import { checksumOf, CHECKSUM_ALGORITHM, TOKEN_CHECKSUM_ALGORITHM } from '../src/core/checksum.js';
import { fileKey } from '../src/core/tracking.js';
import { loadParser } from '../src/sql/statements.js';
import { tokenChecksumOf } from '../src/sql/token-checksum.js';

const core: Source = { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir: 'migrations', entityDir: null };
const coreFile = (content: string): MigrationFile => ({
  source: core, filename: '001_a.sql', path: 'migrations/001_a.sql', number: 1n, content, checksum: checksumOf(content), sampleData: false,
});

test('token checksum: comments and whitespace do not count; tokens and directives do', async () => {
  const parser = await loadParser();
  const sum = (sql: string) => tokenChecksumOf(parser, sql);
  const base = sum('CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n');
  assert.match(base!, /^[0-9a-f]{64}$/);
  assert.equal(sum('-- Licence: MIT\n/* header */\nCREATE TABLE a (\n  id INT\n);\r\n\nINSERT INTO a VALUES (1); -- done\n'), base);
  assert.notEqual(sum('CREATE TABLE a (id BIGINT);\nINSERT INTO a VALUES (1);\n'), base, 'one token');
  assert.notEqual(sum("CREATE TABLE a (id INT);\nINSERT INTO a VALUES ('1');\n"), base);
  assert.notEqual(sum('-- verify:ignore idempotent because\nCREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n'), base, 'a directive counts');
  assert.notEqual(sum('--migrate:something\nCREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n'), base);
});

test('plan: bytes changed but tokens equal is a notice for rows with a token checksum; rows without keep refusing', () => {
  const applied = coreFile('CREATE TABLE a (id INT);\n');
  const edited = coreFile('-- header\nCREATE TABLE a (id INT);\n');
  const withTokens: TrackedRow = {
    table: '_migrations', sourceType: null, sourceName: null, entity: null, filename: '001_a.sql',
    checksum: applied.checksum, checksumAlgorithm: CHECKSUM_ALGORITHM, tokenChecksum: 'T', tokenChecksumAlgorithm: TOKEN_CHECKSUM_ALGORITHM,
  };
  const options = { sampleData: true, strictOrder: false, allowMissing: false };
  const first = buildPlan([edited], [core], [withTokens], options);
  assert.equal(first.items[0]!.state, 'modified', 'without token checksums computed, the byte rule');
  assert.deepEqual(tokensWanted(first, false), [edited], 'the plan asks for exactly that file');
  const same = buildPlan([edited], [core], [withTokens], options, new Map([[fileKey(edited), 'T']]));
  assert.equal(same.items[0]!.state, 'applied');
  assert.equal(hasErrors(same), false);
  assert.equal(same.problems.find((p) => p.code === 'cosmetic-change')?.severity, 'notice');
  const other = buildPlan([edited], [core], [withTokens], options, new Map([[fileKey(edited), 'U']]));
  assert.equal(other.items[0]!.state, 'modified');
  const byteOnly = { ...withTokens, tokenChecksum: null, tokenChecksumAlgorithm: null };
  const old = buildPlan([edited], [core], [byteOnly], options);
  assert.deepEqual(tokensWanted(old, true), [], 'a row without a token checksum never loads the scanner');
  assert.equal(old.items[0]!.state, 'modified');
  assert.deepEqual(tokensWanted(buildPlan([applied], [core], [withTokens], options), true), [], 'a no-op plan needs no tokens');
});

const C_ORIGINAL = 'CREATE TABLE IF NOT EXISTS c (id SERIAL PRIMARY KEY);\nINSERT INTO c DEFAULT VALUES;\n';
const B_ORIGINAL = 'CREATE TABLE b (id INT);\n';

function fixtureFiles(): Record<string, string> {
  return {
    // Made by hand before baseline: running these again would fail (the tables exist).
    'migrations/001_a.sql': 'CREATE TABLE a (id INT);\n',
    'migrations/002_b.sql': B_ORIGINAL,
    // Each run of this file adds a row to c: the count says how often it ran.
    'migrations/003_c.sql': C_ORIGINAL,
    'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
    // Two files with one name, in two tiers.
    'contents/themes/t1/migrations/001_setup.sql': 'CREATE TABLE IF NOT EXISTS theme_things (id INT);\n',
    'contents/plugins/p1/migrations/001_setup.sql': 'CREATE TABLE IF NOT EXISTS plugin_things (id INT);\n',
  };
}

interface Json {
  ok: boolean;
  changed?: boolean;
  change?: { oldChecksum: string | null; newChecksum: string | null; table: string; executedAt: string | null } | null;
  recorded?: { path: string }[];
  error: { code: string; message: string } | null;
  problems?: { severity: string; code: string; file: string | null }[];
  migrations?: { path: string | null; status: string }[];
  history?: { action: string; filename: string; by: string; at: string; oldChecksum: string | null; newChecksum: string | null; rowExecutedAt: string | null }[];
}
const json = (run: CliRun) => JSON.parse(run.stdout) as Json;
const show = (run: CliRun) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

for (const backend of backends) {
  describe(`repair and baseline on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`repair and baseline on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    let db: TestDatabaseHandle;
    let root: string;
    before(async () => {
      db = await backend.createDatabase();
      root = writeProject(fixtureFiles());
    });
    after(async () => {
      await db?.drop();
      if (root) removeProject(root);
    });
    const cli = (command: string, args: string[]) =>
      runCli([command, '--root', root, '--no-env-file', ...args], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
    const query = async <R = Record<string, unknown>>(sql: string): Promise<R[]> => {
      const c = await connectForTest(db.url);
      try {
        return (await c.query<R>(sql)).rows;
      } finally {
        await c.close();
      }
    };
    const write = (rel: string, content: string) => writeFileSync(path.join(root, rel), content);
    /** The core rows and how often 003_c.sql ran (null: table c does not exist), in one look (a PGlite open costs seconds). */
    const state = async () => {
      const c = await connectForTest(db.url);
      try {
        const core = (await c.query<{ filename: string }>(`SELECT filename FROM _migrations ORDER BY id`)).rows.map((r) => r.filename);
        const exists = (await c.query<{ t: string | null }>(`SELECT to_regclass('c')::text AS t`)).rows[0]!.t !== null;
        const runs = exists ? (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM c`)).rows[0]!.n : null;
        return { core, runs };
      } finally {
        await c.close();
      }
    };

    test('baseline without --yes and without a terminal refuses (exit 2) and creates nothing', async () => {
      // A database built by hand, before the tool was used.
      const c = await connectForTest(db.url);
      try {
        await c.exec('CREATE TABLE a (id INT); CREATE TABLE b (id INT);');
      } finally {
        await c.close();
      }
      const run = await cli('baseline', ['--up-to', 'migrations/002_b.sql']);
      assert.equal(run.code, 2, show(run));
      assert.match(run.stderr, /without --yes/);
      assert.match(run.stdout, /migrations\/001_a\.sql[\s\S]*migrations\/002_b\.sql/, 'the files are listed before the question');
      const tracking = await query<{ t: string | null }>(`SELECT to_regclass('_migrations')::text AS t`);
      assert.equal(tracking[0]!.t, null, 'not even the tracking tables were created');
    });

    test('baseline --up-to records the files as applied without running them', async () => {
      const run = await cli('baseline', ['--up-to', 'migrations/002_b.sql', '--yes', '--json']);
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(json(run).recorded!.map((f) => f.path), ['migrations/001_a.sql', 'migrations/002_b.sql']);
      // 001_a.sql would fail if it ran (a exists): it was recorded, not run.
      const rows = await query<{ filename: string; checksum: string; token_checksum: string; token_checksum_algorithm: string; duration_ms: number | null; c: string | null }>(
        `SELECT filename, checksum, token_checksum, token_checksum_algorithm, duration_ms, to_regclass('c')::text AS c FROM _migrations ORDER BY id`,
      );
      assert.deepEqual(rows.map((r) => r.filename), ['001_a.sql', '002_b.sql']);
      assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && /^[0-9a-f]{64}$/.test(r.token_checksum) && r.token_checksum_algorithm && r.duration_ms === null));
      assert.equal(rows[0]!.c, null, '003 was neither recorded nor run');
    });

    test('baseline is refused, listing them, when the files already have tracking rows', async () => {
      const run = await cli('baseline', ['--yes']);
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /already have tracking rows: migrations\/001_a\.sql, migrations\/002_b\.sql/);
      assert.deepEqual(await state(), { core: ['001_a.sql', '002_b.sql'], runs: null }, 'nothing recorded, nothing run');
    });

    test('migrate then applies only what follows the baseline', async () => {
      const run = await cli('migrate', ['--json']);
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await state(), { core: ['001_a.sql', '002_b.sql', '003_c.sql'], runs: 1 });
    });

    test('a bare name two files share is refused with the candidates; a path outside the root is refused', async () => {
      const ambiguous = await cli('repair', ['--forget', '001_setup.sql', '--yes']);
      assert.equal(ambiguous.code, 2, show(ambiguous));
      assert.match(ambiguous.stderr, /contents\/themes\/t1\/migrations\/001_setup\.sql/);
      assert.match(ambiguous.stderr, /contents\/plugins\/p1\/migrations\/001_setup\.sql/);
      const outside = await cli('repair', ['--forget', '../elsewhere/001_a.sql', '--yes']);
      assert.equal(outside.code, 2, show(outside));
      assert.match(outside.stderr, /outside the project root/);
    });

    test('repair without --yes and without a terminal refuses (exit 2) and changes nothing', async () => {
      const run = await cli('repair', ['--forget', 'migrations/003_c.sql']);
      assert.equal(run.code, 2, show(run));
      assert.match(run.stderr, /without --yes/);
      // The row is still there: the next test forgets it.
    });

    test('forget removes the row, and the next migrate runs that file again', async () => {
      const run = await cli('repair', ['--forget', 'migrations/003_c.sql', '--yes', '--json']);
      assert.equal(run.code, 0, show(run));
      const change = json(run).change!;
      assert.equal(change.table, '_migrations');
      assert.match(change.oldChecksum!, /^[0-9a-f]{64}$/);
      assert.equal(change.newChecksum, null);
      const again = await cli('migrate', ['--json']);
      assert.equal(again.code, 0, show(again));
      assert.deepEqual(json(again).migrations!.filter((m) => m.status === 'applied').map((m) => m.path), ['migrations/003_c.sql']);
      assert.deepEqual(await state(), { core: ['001_a.sql', '002_b.sql', '003_c.sql'], runs: 2 }, 'run a second time');
    });

    test('a comment/whitespace-only edit of an applied file passes with a notice; a one-token edit is refused', async () => {
      write('migrations/003_c.sql', `-- Licence: MIT\n/* reformatted */\nCREATE TABLE IF NOT EXISTS c (\n  id SERIAL PRIMARY KEY\n);\n\nINSERT INTO c DEFAULT VALUES; -- one row per run\n`);
      const cosmetic = await cli('migrate', ['--json']);
      assert.equal(cosmetic.code, 0, show(cosmetic));
      const notice = json(cosmetic).problems!.find((p) => p.code === 'cosmetic-change');
      assert.equal(notice?.severity, 'notice', show(cosmetic));
      assert.equal(notice?.file, 'migrations/003_c.sql');
      assert.equal((await state()).runs, 2, 'not run again');

      write('migrations/003_c.sql', C_ORIGINAL.replace('SERIAL', 'BIGSERIAL'));
      const edited = await cli('migrate', ['--json']);
      assert.equal(edited.code, 1, show(edited));
      assert.ok(json(edited).problems!.some((p) => p.code === 'modified' && p.severity === 'error'));
      write('migrations/003_c.sql', C_ORIGINAL);
    });

    test('accept makes an edited file pass: a row with only the byte checksum keeps refusing a comment edit until then', async () => {
      // A row recorded before token checksums existed.
      const before = (
        await query<{ checksum: string }>(`UPDATE _migrations SET token_checksum = NULL, token_checksum_algorithm = NULL WHERE filename = '002_b.sql' RETURNING checksum`)
      )[0]!.checksum;
      write('migrations/002_b.sql', `-- a comment added later\n${B_ORIGINAL}`);
      const refused = await cli('migrate', ['--json']);
      assert.equal(refused.code, 1, show(refused));
      assert.ok(json(refused).problems!.some((p) => p.code === 'modified' && p.file === 'migrations/002_b.sql'));

      const accept = await cli('repair', ['--accept', '002_b.sql', '--yes']);
      assert.equal(accept.code, 0, show(accept));
      assert.match(accept.stdout, new RegExp(`${before.slice(0, 12)}… → [0-9a-f]{12}…`), 'old and new checksum shown');
      const passes = await cli('migrate', ['--json']);
      assert.equal(passes.code, 0, show(passes));
      const rows = await query<{ filename: string; checksum: string; token_checksum: string | null }>(`SELECT filename, checksum, token_checksum FROM _migrations ORDER BY id`);
      assert.deepEqual(rows.map((r) => r.filename), ['001_a.sql', '002_b.sql', '003_c.sql'], 'nothing else changed');
      assert.notEqual(rows[1]!.checksum, before);
      assert.ok(rows[1]!.token_checksum, 'the token checksum is recorded too');
    });

    test('status --history lists every entry: who, when, what', async () => {
      const run = await cli('status', ['--history', '--json']);
      assert.equal(run.code, 0, show(run));
      const history = json(run).history!;
      assert.deepEqual(history.map((h) => `${h.action} ${h.filename}`), ['baseline 001_a.sql', 'baseline 002_b.sql', 'forget 003_c.sql', 'accept 002_b.sql']);
      const role = backend.name === 'pglite' ? 'postgres' : decodeURIComponent(new URL(db.url).username);
      assert.ok(history.every((h) => h.by.startsWith(role) && !Number.isNaN(Date.parse(h.at))), JSON.stringify(history));
      assert.ok(history[2]!.rowExecutedAt, 'the forgotten row’s executed_at is kept');
      assert.equal(history[3]!.oldChecksum === history[3]!.newChecksum, false);
      const human = await cli('status', ['--history']);
      assert.equal(human.code, 0, show(human));
      assert.match(human.stdout, /History[\s\S]*forget\s+migrations\/003_c\.sql/);
    });
  });
}
