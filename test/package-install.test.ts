// The package as an app installs it: `npm pack`, the tarball installed into a new
// app folder outside the repository (nothing of this repository's node_modules),
// then `npx tiered-migrate init`, `migrate` on PGlite and on a server, `status
// --json`, an .mjs and a type-checked .ts consumer of the API, an aborted API run,
// and a database migrated by this repository's own scripts adopted with nothing re-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './support/project.js';
import { backends, connectForTest } from './support/backends.js';

const server = backends.find((b) => b.name === 'postgres')!;
const pglite = backends.find((b) => b.name === 'pglite')!;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' };
    // npm's own cache and settings, so that the install is served from what `npm ci` fetched.
    for (const key of ['npm_config_cache', 'NPM_CONFIG_CACHE', 'npm_config_registry']) if (process.env[key]) env[key] = process.env[key]!;
    for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
    execFile(file, args, { cwd: options.cwd, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const npx = (app: string, args: string[], env: Record<string, string | undefined> = {}) =>
  run(path.join(app, 'node_modules', '.bin', 'tiered-migrate'), args, { cwd: app, env });

let work: string;
let tarball: string;
let packedFiles: string[];
let app: string;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tm-package-'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot });
  assert.equal(pack.code, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  packedFiles = info!.files.map((f) => f.path);

  // The app: a package.json only; init writes contents/.
  app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name: 'an-app', private: true, type: 'module' }, null, 2)}\n`);
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'typescript@5.9', '@types/node@20'], { cwd: app });
  assert.equal(install.code, 0, install.stdout + install.stderr);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the built code, the shipped schema, the templates, README and licence; nothing else', () => {
  for (const needed of ['bin/tiered-migrate.mjs', 'dist/index.js', 'dist/cli.js', 'dist/bin.js', 'dist/types/index.d.ts', 'migrations/001_better_auth_and_functions.sql', 'contents/themes/default/config/theme.config.ts', 'contents/plugins/ai/plugin.config.ts', 'contents/plugins/billing/plugin.config.ts', 'README.md', 'LICENSE', 'package.json']) {
    assert.ok(packedFiles.includes(needed), `${needed} missing from the tarball`);
  }
  const allowed = /^(bin\/|dist\/|migrations\/[^/]+\.sql$|contents\/(themes\/default|plugins\/ai|plugins\/billing)\/|README\.md$|LICENSE$|package\.json$)/;
  const stray = packedFiles.filter((f) => !allowed.test(f));
  assert.deepEqual(stray, [], 'files in the tarball that an app does not need');
  for (const f of packedFiles) assert.ok(!/(^|\/)(test|bench|fixtures|src|build|scripts|node_modules)\//.test(f), `${f} should not be packed`);
  // The package's dependencies are what it needs at run time, and nothing of the benchmark.
  const manifest = JSON.parse(readFileSync(path.join(app, 'node_modules', 'tiered-migrate', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['@electric-sql/pglite', '@next/env', 'libpg-query', 'oxc-parser', 'pg']);
});

test('init writes the default theme and plugins, the scripts, .gitignore and .env; a second init overwrites nothing', async () => {
  const first = await npx(app, ['init']);
  assert.equal(first.code, 0, first.stderr);
  for (const file of ['contents/themes/default/config/theme.config.ts', 'contents/themes/default/entities/tasks/migrations/001_create_tasks.sql', 'contents/plugins/ai/entities/completions/migrations/001_create_completions.sql', 'contents/plugins/billing/migrations/001_billing_plans_and_subscriptions.sql']) {
    assert.ok(existsSync(path.join(app, file)), `${file} not written`);
  }
  const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(manifest.scripts['db:migrate'], 'tiered-migrate migrate');
  assert.match(readFileSync(path.join(app, '.gitignore'), 'utf8'), /^\.pglite\/$/m);
  assert.match(readFileSync(path.join(app, '.env'), 'utf8'), /^NEXT_PUBLIC_ACTIVE_THEME=default$/m);
  assert.ok(!existsSync(path.join(app, 'migrations')), 'the app must not get a copy of the core');

  // A file the user changed stays as it is, and is listed as skipped.
  const config = path.join(app, 'contents/themes/default/config/theme.config.ts');
  const edited = `${readFileSync(config, 'utf8')}// edited by the app\n`;
  writeFileSync(config, edited);
  const again = await npx(app, ['init', '--json']);
  assert.equal(again.code, 0, again.stderr);
  const doc = JSON.parse(again.stdout) as { created: string[]; skipped: { path: string }[] };
  assert.deepEqual(doc.created, []);
  assert.ok(doc.skipped.some((s) => s.path === 'contents/themes/default/config/theme.config.ts'));
  assert.equal(readFileSync(config, 'utf8'), edited);
});

test('npx tiered-migrate migrate on the embedded default: the documented run, then nothing; status --json parses', { skip: pglite.skipReason ?? false }, async () => {
  const first = await npx(app, ['migrate']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /Core migrations: node_modules\/tiered-migrate\/migrations \(7 files, shipped with tiered-migrate\)/);
  assert.match(first.stdout, /Embedded database \(PGlite\)/);
  assert.match(first.stdout, /All migrations completed successfully/);
  assert.match(first.stdout, /- Core migrations: 7/);
  assert.match(first.stdout, /- Entity migrations: 3 \(across 2 entities\)/);
  const second = await npx(app, ['migrate', '--json']);
  assert.equal(second.code, 0, second.stderr);
  const doc = JSON.parse(second.stdout) as { ok: boolean; migrations: { status: string }[] };
  assert.equal(doc.ok, true);
  assert.equal(doc.migrations.filter((m) => m.status === 'applied').length, 0);
  const status = await npx(app, ['status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  const statusDoc = JSON.parse(status.stdout) as { ok: boolean; migrations: { status: string }[] };
  assert.equal(statusDoc.ok, true);
  assert.ok(statusDoc.migrations.length >= 12);
  assert.ok(statusDoc.migrations.every((m) => m.status === 'applied'), status.stdout);
});

test('npx tiered-migrate migrate on a server; an .mjs and a type-checked .ts consumer of the API read the typed result', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  const other = await server.createDatabase();
  try {
    const cli = await npx(app, ['migrate', '--json'], { DATABASE_URL: db.url });
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    const doc = JSON.parse(cli.stdout) as { ok: boolean; migrations: { status: string }[] };
    const cliApplied = doc.migrations.filter((m) => m.status === 'applied').length;
    assert.ok(cliApplied > 0);
    const rerun = await npx(app, ['migrate', '--json'], { DATABASE_URL: db.url });
    assert.equal((JSON.parse(rerun.stdout) as { migrations: { status: string }[] }).migrations.filter((m) => m.status === 'applied').length, 0);

    writeFileSync(
      path.join(app, 'consumer.mjs'),
      `import { migrate, status, MigrateError } from 'tiered-migrate';
const events = [];
const result = await migrate({ root: process.cwd(), database: process.argv[2], theme: 'default', onEvent: (e) => events.push(e.type) });
const after = await status({ root: process.cwd(), database: process.argv[2], theme: 'default' });
const bad = await migrate({ root: process.cwd(), database: 'mysql://nope', theme: 'default' });
console.log(JSON.stringify({ ok: result.ok, applied: result.migrations.filter((m) => m.status === 'applied').length, sampleSkipped: result.migrations.filter((m) => m.status === 'sample-data-skipped').length, events: [...new Set(events)], pending: after.migrations.filter((m) => m.status === 'pending').length, bad: bad.error?.code, isClass: typeof MigrateError === 'function' }));
`,
    );
    const mjs = await run(process.execPath, ['consumer.mjs', other.url], { cwd: app });
    assert.equal(mjs.code, 0, mjs.stderr);
    const out = JSON.parse(mjs.stdout) as { ok: boolean; applied: number; sampleSkipped: number; events: string[]; pending: number; bad: string; isClass: boolean };
    assert.equal(out.ok, true);
    // Without `env`, the API runs no sample data: the CLI (development) ran it.
    assert.ok(out.sampleSkipped > 0);
    assert.equal(out.applied + out.sampleSkipped, cliApplied);
    assert.equal(out.pending, 0);
    assert.equal(out.bad, 'CONFIG');
    assert.ok(out.events.includes('file:done') && out.events.includes('done'));
    assert.equal(out.isClass, true);

    writeFileSync(
      path.join(app, 'consumer.ts'),
      `import { status, MigrateError, type RunResult, type MigrationOutcome, type RunEvent } from 'tiered-migrate';
const seen: RunEvent['type'][] = [];
const result: RunResult = await status({ root: process.cwd(), database: process.argv[2] ?? '', theme: 'default', onEvent: (e) => seen.push(e.type) });
const applied: MigrationOutcome[] = result.migrations.filter((m) => m.status === 'applied');
const code: string | undefined = result.error?.code;
if (result.error && !(new MigrateError('CONFIG', 'x') instanceof Error)) throw new Error('unreachable');
console.log(JSON.stringify({ ok: result.ok, applied: applied.length, code: code ?? null, seen: seen.length > 0 }));
`,
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: ['node'], outDir: 'out' }, files: ['consumer.ts'] }),
    );
    const tsc = await run(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app });
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
    // A type error against the installed declarations is caught: the check can fail.
    writeFileSync(path.join(app, 'wrong.ts'), `import { migrate } from 'tiered-migrate';\nconst r = await migrate({ dryRun: 'yes' });\nconsole.log(r.okay);\n`);
    const wrong = await run(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', 'wrong.ts'], { cwd: app });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /wrong\.ts\(2,27\): error TS2322/);
    assert.match(wrong.stdout, /okay/);
    const ts = await run(process.execPath, [path.join('out', 'consumer.js'), other.url], { cwd: app });
    assert.equal(ts.code, 0, ts.stderr);
    assert.deepEqual(JSON.parse(ts.stdout), { ok: true, applied: out.applied, code: null, seen: true });
  } finally {
    await db.drop();
    await other.drop();
  }
});

test('an aborted API run: the running file rolls back, is not recorded, and the next run applies it', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  const fork = path.join(work, 'fork-core');
  mkdirSync(fork, { recursive: true });
  writeFileSync(path.join(fork, '001_first.sql'), 'CREATE TABLE IF NOT EXISTS first_table (id INT);\n');
  writeFileSync(path.join(fork, '002_slow.sql'), 'CREATE TABLE half_done (id INT);\nSELECT pg_sleep(20);\nCREATE TABLE never_reached (id INT);\n');
  try {
    writeFileSync(
      path.join(app, 'abort.mjs'),
      `import { migrate } from 'tiered-migrate';
const controller = new AbortController();
const started = Date.now();
const result = await migrate({ root: process.cwd(), database: process.argv[2], theme: 'default', coreDir: process.argv[3], signal: controller.signal,
  onEvent: (e) => { if (e.type === 'file:start' && e.item.file.filename === '002_slow.sql') setTimeout(() => controller.abort(), 300); } });
console.log(JSON.stringify({ ok: result.ok, code: result.error?.code, file: result.error?.file, seconds: (Date.now() - started) / 1000,
  statuses: Object.fromEntries(result.migrations.filter((m) => m.tier === 'core').map((m) => [m.filename, m.status])) }));
`,
    );
    const aborted = await run(process.execPath, ['abort.mjs', db.url, fork], { cwd: app });
    assert.equal(aborted.code, 0, aborted.stderr);
    const out = JSON.parse(aborted.stdout) as { ok: boolean; code: string; file: string; seconds: number; statuses: Record<string, string> };
    assert.equal(out.ok, false);
    assert.equal(out.code, 'ABORTED');
    assert.match(out.file, /002_slow\.sql$/);
    assert.ok(out.seconds < 15, `the cancel did not stop pg_sleep(20): ${out.seconds} s`);
    assert.equal(out.statuses['001_first.sql'], 'applied');
    assert.notEqual(out.statuses['002_slow.sql'], 'applied');

    const client = await connectForTest(db.url);
    try {
      const rows = (await client.query<{ filename: string }>('SELECT filename FROM "_migrations" ORDER BY filename')).rows.map((r) => r.filename);
      assert.deepEqual(rows, ['001_first.sql']);
      assert.equal((await client.query<{ t: string | null }>(`SELECT to_regclass('half_done')::text AS t`)).rows[0]!.t, null);
      // Not recorded, so it may still change: without the sleep, the next run applies it.
      writeFileSync(path.join(fork, '002_slow.sql'), 'CREATE TABLE half_done (id INT);\nCREATE TABLE never_reached (id INT);\n');
      const next = await run(process.execPath, ['abort.mjs', db.url, fork], { cwd: app });
      // (The app's theme needs the real core's tables, so the run stops after the core tier.)
      assert.equal((JSON.parse(next.stdout) as { statuses: Record<string, string> }).statuses['002_slow.sql'], 'applied', next.stdout);
      const after = (await client.query<{ filename: string }>('SELECT filename FROM "_migrations" ORDER BY filename')).rows.map((r) => r.filename);
      assert.deepEqual(after, ['001_first.sql', '002_slow.sql']);
      assert.equal((await client.query<{ t: string | null }>(`SELECT to_regclass('never_reached')::text AS t`)).rows[0]!.t, 'never_reached');
    } finally {
      await client.close();
    }
  } finally {
    await db.drop();
  }
});

test('a database migrated by this repository\'s npm run db:migrate is adopted by the installed package: 0 applied, exit 0', { skip: server.skipReason ?? false }, async () => {
  const db = await server.createDatabase();
  try {
    const repo = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'run-migrations.mjs'), '--root', repoRoot, '--no-env-file', '--json'], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, NEXT_PUBLIC_ACTIVE_THEME: 'default', NO_COLOR: '1' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    assert.equal(repo.code, 0, repo.stdout + repo.stderr);
    const installed = await npx(app, ['migrate', '--json'], { DATABASE_URL: db.url });
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    const doc = JSON.parse(installed.stdout) as { migrations: { status: string }[]; problems: { severity: string }[] };
    assert.equal(doc.migrations.filter((m) => m.status === 'applied').length, 0);
    assert.ok(doc.migrations.filter((m) => m.status === 'skipped').length >= 12);
    assert.deepEqual(doc.problems.filter((p) => p.severity !== 'notice'), []);
  } finally {
    await db.drop();
  }
});
