// db:new as users run it: the file it creates, where, with which number, what it
// refuses, that it never overwrites, and that db:verify finds nothing in its files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, removeProject, runCli, themeConfig } from './support/project.js';
import { baseProjects, body, cleanTable } from './fixtures/verify/helpers.js';
import { isoDate } from '../src/scaffold/template.js';

const project = baseProjects();
const FILES = {
  'migrations/002_notes.sql': body('002_notes.sql', ...cleanTable('notes')),
  'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
  'contents/themes/t2/config/theme.config.ts': themeConfig([]),
  'contents/plugins/p1/migrations/001_p1.sql': body('001_p1.sql', ...cleanTable('p1_items')),
  'contents/themes/t1/entities/tasks/migrations/001_create_tasks.sql': body('001_create_tasks.sql', ...cleanTable('tasks')),
  'contents/themes/t1/entities/tasks/migrations/002_more.sql': body('002_more.sql', 'SELECT 1;'),
  'contents/plugins/p1/entities/cards/migrations/001_create_cards.sql': body('001_create_cards.sql', ...cleanTable('cards')),
};
const dbNew = (root: string, args: string[], env: Record<string, string> = {}) => runCli(['new', '--root', root, '--no-env-file', ...args], env);

test('creates the next core file from the standard template and prints its path', async () => {
  const root = project(FILES);
  const run = await dbNew(root, ['Add', 'invoices']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'migrations/003_add_invoices.sql\n');
  const text = readFileSync(path.join(root, 'migrations/003_add_invoices.sql'), 'utf8');
  assert.ok(text.startsWith(`-- Migration: 003_add_invoices.sql\n-- Description: Add invoices\n-- Date: ${isoDate(new Date())}\n`));
  for (const section of ['-- TABLES', '-- INDEXES', '-- RLS', '-- TRIGGERS']) assert.ok(text.includes(section), section);
  assert.match(text, /CREATE TABLE IF NOT EXISTS "invoices" \(\n {2}id TEXT PRIMARY KEY DEFAULT gen_random_uuid\(\)::text,\n {2}"userId" TEXT NOT NULL REFERENCES "user"\(id\) ON DELETE CASCADE,/);
  assert.match(text, /"createdAt" TIMESTAMPTZ NOT NULL DEFAULT now\(\),\n {2}"updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now\(\)\n\);/);
  for (const command of ['SELECT', 'INSERT', 'UPDATE', 'DELETE']) {
    const suffix = `${command.toLowerCase()}_own`;
    assert.ok(text.includes(`DROP POLICY IF EXISTS invoices_${suffix} ON "invoices";\nCREATE POLICY invoices_${suffix} ON "invoices"\n  FOR ${command}\n`), command);
  }
  assert.ok(text.includes('DROP TRIGGER IF EXISTS invoices_set_updated_at ON "invoices";\nCREATE TRIGGER invoices_set_updated_at\n  BEFORE UPDATE ON "invoices"'));
});

test('numbers per folder for themes and plugins, across entities for entities', async () => {
  const root = project(FILES);
  const created: string[] = [];
  for (const args of [
    ['add', 'prefs', '--theme', 't1'],
    ['add', 'plans', '--plugin', 'p1'],
    ['add', 'labels', '--entity', 'tasks', '--theme', 't1'],
    ['add', 'tags', '--entity', 'cards', '--plugin', 'p1'],
    ['create', 'boards', '--entity', 'boards', '--theme', 't2'],
    ['tasks', 'sample', 'data', '--entity', 'tasks', '--theme', 't1'],
  ]) {
    const run = await dbNew(root, args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    created.push(run.stdout.trim());
  }
  assert.deepEqual(created, [
    'contents/themes/t1/migrations/001_add_prefs.sql',
    'contents/plugins/p1/migrations/002_add_plans.sql',
    // Entities of t1's setup (tasks, and p1's cards) share one numbering: 002 is the highest.
    'contents/themes/t1/entities/tasks/migrations/003_add_labels.sql',
    'contents/plugins/p1/entities/cards/migrations/004_add_tags.sql',
    // t2 has no entity yet: a new entity folder, numbered from t2's setup alone.
    'contents/themes/t2/entities/boards/migrations/001_create_boards.sql',
    'contents/themes/t1/entities/tasks/migrations/005_tasks_sample_data.sql',
  ]);
  const entity = readFileSync(path.join(root, created[2]!), 'utf8');
  assert.match(entity, /^-- Entity: tasks$/m);
  // "tasks" exists already (001_create_tasks.sql): the add-column pattern, not a second CREATE TABLE.
  assert.match(entity, /^ALTER TABLE "tasks" ADD COLUMN IF NOT EXISTS "labels" TEXT;$/m);
  assert.doesNotMatch(entity, /^CREATE TABLE/m);
  assert.match(readFileSync(path.join(root, created[4]!), 'utf8'), /^CREATE TABLE IF NOT EXISTS "boards"/m, 'a new entity gets the table template');
  const sample = readFileSync(path.join(root, created[5]!), 'utf8');
  assert.doesNotMatch(sample, /^CREATE/m);

  // Every file made above passes db:verify with no finding at all, in every setup.
  const verify = await runCli(['verify', '--root', root, '--all', '--json', '--no-env-file'], {});
  const doc = JSON.parse(verify.stdout);
  assert.deepEqual(doc.findings, []);
  assert.equal(verify.code, 0);
});

test("a file it creates in this repository's own project passes db:verify with no findings", async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'tm-new-own-'));
  t.after(() => removeProject(root));
  cpSync(path.join(repoRoot, 'migrations'), path.join(root, 'migrations'), { recursive: true });
  cpSync(path.join(repoRoot, 'contents'), path.join(root, 'contents'), { recursive: true });
  for (const args of [['add', 'invoices'], ['add', 'labels', '--entity', 'tasks', '--theme', 'default'], ['add', 'usage', '--plugin', 'billing']]) {
    assert.equal((await dbNew(root, args)).code, 0, args.join(' '));
  }
  const verify = await runCli(['verify', '--root', root, '--all', '--json', '--no-env-file'], {});
  assert.deepEqual(JSON.parse(verify.stdout).findings, []);
  assert.equal(verify.code, 0);
});

test('refuses bad descriptions and bad combinations with exit 2, creating nothing', async () => {
  const root = project(FILES);
  const before = readdirSync(path.join(root, 'migrations')).sort();
  for (const args of [[], ['add', 'café'], ['008_add_x'], ['add/../../x'], ['x', '--entity', 'tasks'], ['x', '--theme', 't1', '--plugin', 'p1'], ['x', '--theme', 'nope'], ['x', '--table', 'Bad'], ['x', '--bogus']]) {
    const run = await dbNew(root, args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}`);
    assert.match(run.stderr, /❌/);
  }
  assert.deepEqual(readdirSync(path.join(root, 'migrations')).sort(), before);
  // An entity name that another owner of the setup already uses.
  const taken = await dbNew(root, ['x', '--entity', 'cards', '--theme', 't1']);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /already lives in contents\/plugins\/p1\/entities\/cards/);
});

test('never overwrites: an existing entry with the chosen name stops it (exit 1)', async () => {
  const root = project(FILES);
  // Not a .sql file to discovery (a folder), so the number stays free, but the name is taken.
  mkdirSync(path.join(root, 'migrations', '003_add_invoices.sql'));
  const run = await dbNew(root, ['add', 'invoices']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /already exists; not overwritten/);
  assert.equal(run.stdout, '');
});
