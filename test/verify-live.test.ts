// Live checks on PGlite and on a real server, same test code: the database is
// migrated by the engine's CLI, then changed by hand (RLS disabled, a policy and a
// table dropped, an applied file edited, another deleted) and db:verify must say
// so, without ever writing to the database.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { backends, connectForTest } from './support/backends.js';
import { addFiles, removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { BASE, body, cleanTable } from './fixtures/verify/helpers.js';

interface Doc {
  ok: boolean;
  findings: { rule: string; severity: string; file: string; line: number; column: number; message: string }[];
  database: { database: string; trackingProblem: string | null; pending: { source: string; files: string[] }[] } | null;
}

function fixture(): Record<string, string> {
  return {
    ...BASE,
    'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
    'migrations/003_labels.sql': body('003_labels.sql', ...cleanTable('labels')),
    'migrations/004_tags.sql': body('004_tags.sql', ...cleanTable('tags')),
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'contents/themes/t1/entities/cards/migrations/001_create_cards.sql': body('001_create_cards.sql', ...cleanTable('cards')),
  };
}

/** Whether a table exists, read on a connection of the test's own (closed again at once). */
async function tableExists(url: string, name: string): Promise<boolean> {
  const client = await connectForTest(url);
  try {
    const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]);
    return rows[0]!.found;
  } finally {
    await client.close();
  }
}

for (const backend of backends) {
  describe(`db:verify live checks on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`live checks on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const cleanup: (() => Promise<void> | void)[] = [];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });

    test('pending files per tier on a fresh database, and nothing written to it', async () => {
      const db = await backend.createDatabase();
      cleanup.push(() => db.drop());
      const root = writeProject(fixture());
      cleanup.push(() => removeProject(root));
      const run = await runCli(['verify', '--root', root, '--json', '--no-env-file'], { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout) as Doc;
      assert.deepEqual(doc.findings, []);
      assert.ok(doc.database);
      assert.match(doc.database.trackingProblem ?? '', /_migrations/);
      assert.deepEqual(doc.database.pending, [
        { source: 'core', files: ['001_base.sql', '002_notes.sql', '003_labels.sql', '004_tags.sql'] },
        { source: 'entity cards (theme t1)', files: ['001_create_cards.sql'] },
      ]);
      assert.equal(await tableExists(db.url, '_migrations'), false, 'verify must not create the tracking tables');
    });

    test('a migrated database passes; changes made by hand, edited and deleted files are found', async () => {
      const db = await backend.createDatabase();
      cleanup.push(() => db.drop());
      const root = writeProject(fixture());
      cleanup.push(() => removeProject(root));
      const env = { DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' };
      const migrated = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], env);
      assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);

      const clean = await runCli(['verify', '--root', root, '--json', '--no-env-file'], { MIGRATE_DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 't1' });
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      const cleanDoc = JSON.parse(clean.stdout) as Doc;
      assert.deepEqual(cleanDoc.findings, []);
      assert.deepEqual(cleanDoc.database?.pending, []);
      assert.equal(cleanDoc.database?.trackingProblem, null);

      const client = await connectForTest(db.url);
      try {
        await client.exec(`
          ALTER TABLE notes DISABLE ROW LEVEL SECURITY;
          DROP POLICY cards_own ON cards;
          CREATE TABLE handmade (id TEXT);
          DROP TABLE tags;`);
      } finally {
        await client.close();
      }
      appendFileSync(path.join(root, 'migrations/003_labels.sql'), 'SELECT 1; -- edited after it ran (a token: a comment alone is cosmetic)\n');
      rmSync(path.join(root, 'migrations/004_tags.sql'));
      addFiles(root, { 'migrations/005_more.sql': body('005_more.sql', ...cleanTable('more')) });

      const run = await runCli(['verify', '--root', root, '--json', '--no-env-file'], env);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const doc = JSON.parse(run.stdout) as Doc;
      const live = doc.findings.filter((f) => ['modified', 'missing', 'db-rls', 'db-table'].includes(f.rule));
      assert.deepEqual(live.map((f) => `${f.rule} ${f.file}:${f.line}:${f.column}`).sort(), [
        'db-rls (database):0:0',
        'db-rls contents/themes/t1/entities/cards/migrations/001_create_cards.sql:4:1',
        'db-rls migrations/002_notes.sql:4:1',
        'missing migrations/004_tags.sql:0:0',
        'modified migrations/003_labels.sql:1:1',
      ]);
      assert.match(live.find((f) => f.file === '(database)')!.message, /"handmade" has row level security disabled/);
      assert.match(live.find((f) => f.file.includes('cards'))!.message, /enabled but no policy/);
      assert.ok(live.every((f) => f.severity === 'error'));
      // 004 is gone from disk, so "tags" is no table of the files any more; 005 is pending, its table is not expected.
      assert.deepEqual(doc.database?.pending, [{ source: 'core', files: ['005_more.sql'] }]);
      // The static sequence rule sees the gap the deletion left.
      assert.ok(doc.findings.some((f) => f.rule === 'sequence' && f.file === 'migrations/005_more.sql'));

      // A table an applied migration creates, dropped by hand.
      const again = await connectForTest(db.url);
      try {
        await again.exec('DROP TABLE labels;');
      } finally {
        await again.close();
      }
      const dropped = JSON.parse((await runCli(['verify', '--root', root, '--json', '--no-env-file'], env)).stdout) as Doc;
      assert.deepEqual(
        dropped.findings.filter((f) => f.rule === 'db-table').map((f) => `${f.file}:${f.line}:${f.column}`),
        ['migrations/003_labels.sql:4:1'],
      );

      const noDb = JSON.parse((await runCli(['verify', '--root', root, '--json', '--no-env-file', '--no-db'], env)).stdout) as Doc;
      assert.equal(noDb.database, null);
      assert.ok(noDb.findings.every((f) => !['modified', 'missing', 'db-rls', 'db-table'].includes(f.rule)));
    });
  });
}
