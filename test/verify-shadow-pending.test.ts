// verify --pending: the next migrate rehearsed on a shadow. What the database
// applied is replayed with its tracking rows, then the engine applies the pending
// files; a pending file that fails is an error with its place, before the real
// database sees it. The database itself is only read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addFiles, runCli, themeConfig } from './support/project.js';
import { baseProjects, body, cleanTable } from './fixtures/verify/helpers.js';

const project = baseProjects();

test('--pending and migrate --rehearse: applied files replayed, a failing pending file found with its place before the database sees it', async () => {
  const root = project({
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
    'contents/themes/t1/migrations/001_title.sql': body('001_title.sql', 'ALTER TABLE "notes" ADD COLUMN IF NOT EXISTS title TEXT;'),
  });
  const url = `pglite:${path.join(mkdtempSync(path.join(tmpdir(), 'tm-pending-')), 'db')}`;
  const env = { DATABASE_URL: url };
  const migrated = await runCli(['migrate', '--root', root, '--theme', 't1', '--no-env-file', '--json'], env);
  assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);

  // A pending file that only fails where the applied ones ran: "title" exists there.
  addFiles(root, {
    'contents/themes/t1/migrations/002_more.sql': body('002_more.sql', 'CREATE INDEX IF NOT EXISTS idx_notes_title ON "notes"(title);', 'ALTER TABLE "notes" ADD COLUMN title TEXT;'),
  });
  const run = await runCli(['verify', '--root', root, '--theme', 't1', '--no-env-file', '--pending', '--json'], env);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const doc = JSON.parse(run.stdout);
  const pending = doc.findings.filter((f: { rule: string }) => f.rule === 'pending');
  assert.equal(pending.length, 1, JSON.stringify(doc.findings));
  assert.deepEqual([pending[0].file, pending[0].line], ['contents/themes/t1/migrations/002_more.sql', 5]);
  assert.match(pending[0].message, /column "title" of relation "notes" already exists/);
  assert.deepEqual(doc.rehearsal.pending, ['contents/themes/t1/migrations/002_more.sql']);
  assert.equal(doc.rehearsal.replayed, 3);

  // Nothing was written to the database: the file is still pending there.
  const status = await runCli(['status', '--root', root, '--theme', 't1', '--no-env-file', '--json'], env);
  assert.deepEqual(
    status.json!.migrations.filter((m) => m.status === 'pending').map((m) => m.path),
    ['contents/themes/t1/migrations/002_more.sql'],
  );

  // migrate --rehearse stops before the database when the rehearsal fails, and runs when it passes.
  const refused = await runCli(['migrate', '--root', root, '--theme', 't1', '--no-env-file', '--rehearse'], env);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /rehearsal: contents\/themes\/t1\/migrations\/002_more\.sql:5:1 pending, and fails/);
  addFiles(root, { 'contents/themes/t1/migrations/002_more.sql': body('002_more.sql', 'CREATE INDEX IF NOT EXISTS idx_notes_title ON "notes"(title);') });
  const ran = await runCli(['migrate', '--root', root, '--theme', 't1', '--no-env-file', '--rehearse'], env);
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /🎭 Rehearsal passed: 1 pending file\(s\) applied on a shadow/);
  const after = await runCli(['status', '--root', root, '--theme', 't1', '--no-env-file', '--json'], env);
  assert.deepEqual(after.json!.migrations.filter((m) => m.status === 'pending'), []);
});
