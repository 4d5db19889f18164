// Many migration runners against one server database, as replicas booting together
// start them: a generated corpus, scratch databases, runners spawned as child
// processes of the CLI, and a fingerprint of what they left (schema, tracking rows,
// row counts) to compare trials with a clean run. Used by bench/concurrency.ts,
// bench/soak.ts and the soak's small trial in the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateProject, writeProject, SHAPES, fileCount, BENCH_THEME, type ShapeName } from './corpus.js';

/** This repository (bench/dist/ or build/bench/ → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Corpus {
  root: string;
  theme: string;
  files: number;
  remove(): void;
}

/** Writes the generated corpus `shape` (deterministic for a seed) into a temporary project. */
export async function prepareCorpus(shape: ShapeName, seed = 1): Promise<Corpus> {
  const root = mkdtempSync(path.join(tmpdir(), `tm-runners-${shape}-`));
  const project = generateProject(shape, SHAPES[shape], seed);
  await writeProject(root, project);
  return { root, theme: BENCH_THEME, files: fileCount(SHAPES[shape]), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new empty database on the server of `adminUrl`, dropped by `drop()`. */
export async function createScratchDatabase(adminUrl: string, prefix = 'tm_runners'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Files this runner reports as applied (from its --json output; empty when killed). */
  applied: string[];
  error: string | null;
  ms: number;
}

export interface Runner {
  child: ChildProcess;
  done: Promise<RunnerExit>;
}

/** Starts one `migrate --json` runner of the CLI on `corpus` against `url`. */
export function startRunner(corpus: Corpus, url: string): Runner {
  const started = performance.now();
  // The corpus brings its own core tier (in an app it ships with the package).
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: corpus.theme, MIGRATE_CORE_DIR: 'migrations' };
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'db.mjs'), 'migrate', '--root', corpus.root, '--json', '--no-env-file'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<RunnerExit>((resolve) => {
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      let applied: string[] = [];
      let error: string | null = null;
      try {
        const json = JSON.parse(stdout) as { migrations: { path: string | null; status: string }[]; error: { message: string } | null };
        applied = json.migrations.filter((m) => m.status === 'applied').map((m) => m.path ?? '');
        error = json.error?.message ?? null;
      } catch {
        error = signal ? null : `unreadable output: ${stderr.slice(0, 500)}`;
      }
      resolve({ code, signal, applied, error, ms });
    });
  });
  return { child, done };
}

/** Starts `n` runners at once; resolves when the last has exited, with the wall time. */
export async function runTogether(corpus: Corpus, url: string, n: number): Promise<{ ms: number; exits: RunnerExit[] }> {
  const started = performance.now();
  const runners = Array.from({ length: n }, () => startRunner(corpus, url));
  const exits = await Promise.all(runners.map((r) => r.done));
  return { ms: performance.now() - started, exits };
}

/** What a trial must satisfy: every runner exited 0 and every file was applied by exactly one. */
export function checkExactlyOnce(exits: readonly RunnerExit[], files: number): string | null {
  const failed = exits.find((e) => e.code !== 0);
  if (failed) return `a runner exited ${failed.code ?? failed.signal}: ${failed.error ?? ''}`;
  const applied = exits.flatMap((e) => e.applied);
  if (new Set(applied).size !== applied.length) return `a file was applied twice (${applied.length} applications of ${new Set(applied).size} files)`;
  if (applied.length !== files) return `${applied.length} files applied, expected ${files}`;
  return null;
}

/**
 * What a database holds, independent of timing: its schema (every column,
 * constraint, index, trigger and function, by PostgreSQL's own pg_get_*def, which
 * any server version answers — a pg_dump older than the server refuses it), the
 * tracking rows (identity and checksum; not ids, times or durations) and the
 * number of rows of every other table. The harness is self-contained, so this
 * does not borrow the verifier's fuller catalog snapshot.
 */
export async function fingerprint(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const schema = await c.query(`
      WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%')
      SELECT 'column' AS k, n.nspname || '.' || c.relname || '.' || a.attname AS o,
             format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS d
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm')
      UNION ALL SELECT 'constraint', n.nspname || '.' || conname, pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN ns n ON n.oid = co.connamespace
      UNION ALL SELECT 'index', n.nspname || '.' || c.relname, pg_get_indexdef(c.oid) FROM pg_class c JOIN ns n ON n.oid = c.relnamespace WHERE c.relkind = 'i'
      UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal
      UNION ALL SELECT 'function', n.nspname || '.' || p.proname, md5(p.prosrc) FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
      ORDER BY 1, 2, 3`);
    const dump = JSON.stringify(schema.rows);
    const tracking = await c.query(`
      SELECT 'core' AS t, NULL AS a, NULL AS b, filename, checksum FROM _migrations
      UNION ALL SELECT 'content', source_type, source_name, filename, checksum FROM _content_migrations
      UNION ALL SELECT 'entity', entity_name, source_name, filename, checksum FROM _entity_migrations
      ORDER BY 1, 2, 3, 4`);
    const counts = await c.query(`
      SELECT table_schema || '.' || table_name AS t,
             (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text AS n
        FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name NOT LIKE '\\_%'
       ORDER BY 1`);
    return JSON.stringify({ dump, tracking: tracking.rows, counts: counts.rows });
  } finally {
    await c.end();
  }
}

/** Waits until no backend of the database `url` runs anything but this check (a killed runner's transaction is over). */
export async function waitForIdle(url: string, timeoutMs = 30_000): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      if (r.rows[0]!.n === 0) return;
      if (Date.now() > deadline) throw new Error('the killed runner’s connection is still open');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await c.end();
  }
}
