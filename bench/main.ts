// `npm run bench`: prepares the corpora, runs every contender against fresh
// databases of one server, alternating contenders run by run, and reports
// medians and ratios to the floor. Everything it creates (databases, folders)
// is removed at the end, also on failure or interrupt.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { resolveBinary } from 'dbmate';
import { contenders, FLOOR_SCRIPT, nodePgMigrateDir, oursEmbedded, oursVerify, type Contender, type ContenderId, type ServerScenario, type Toolbox } from './contenders.js';
import { databaseUrl, openDatabasePool, type DatabasePool } from './databases.js';
import { importProbes, importTimer, readLoadTrace, withLoadTrace, type ImportTime } from './loads.js';
import { machineInfo } from './machine.js';
import { displayCommand, hasGnuTime, measure, stopRunning, tail, type CommandSpec, type Measurement } from './measure.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { summariseProfile, withCpuProfile } from './profile.js';
import { startCountingProxy, type CountingProxy } from './proxy.js';
import { renderMarkdown, renderText } from './report.js';
import { shadowScenarios } from './shadow.js';
import type { BenchResults, Cell, Scenario } from './results.js';
import { median, rotate } from './stats.js';
import { CORPUS_NOTES, prepareCorpus, type CorpusName, type PreparedCorpus } from './workspace.js';

/** Corpora whose fresh apply gets an untimed counted run (the others are the scaling points and the insert-heavy one). */
const COUNTED_FRESH: readonly CorpusName[] = ['small', 'medium', 'large'];

interface Context {
  options: BenchOptions;
  tools: Toolbox;
  pool: DatabasePool;
  proxy: CountingProxy;
  workRoot: string;
  results: BenchResults;
}

const progress = (text: string) => void process.stderr.write(`${text}\n`);
const msOrDash = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
const fmt = (m: Measurement) => `${Math.round(m.wallMs).toLocaleString('en-US')} ms${m.peakRssMb !== null ? `, ${Math.round(m.peakRssMb)} MB` : ''}`;

function newCell(corpus: PreparedCorpus, scenario: Scenario, contender: ContenderId, label: string): Cell {
  return { corpus: corpus.name, files: corpus.files.length, scenario, contender, label, command: null, wallMs: [], peakRssMb: [], exitCodes: [], counts: null, failure: null, notMeasured: null };
}

/** Marks the cell failed with the exact command and the end of its output. */
async function fail(ctx: Context, cell: Cell, spec: CommandSpec, run: Measurement, log: string, what: string, note = ''): Promise<void> {
  const reason = run.timedOut ? 'timed out' : `exit ${run.exitCode}`;
  cell.failure = `${what}: ${reason}`;
  const message = `[${cell.corpus} / ${cell.scenario} / ${cell.contender}] ${what} failed (${reason})\n  command: ${displayCommand(spec)}${note}\n${(await tail(log)).replace(/^/gm, '  | ')}`;
  ctx.results.failures.push(message);
  progress(message);
}

function record(cell: Cell, spec: CommandSpec, run: Measurement): void {
  cell.command = displayCommand(spec);
  cell.wallMs.push(run.wallMs);
  if (run.peakRssMb !== null) cell.peakRssMb.push(run.peakRssMb);
  cell.exitCodes.push(run.exitCode);
}

/** Fresh apply, no-op run and status of every contender on one corpus. */
async function serverScenarios(ctx: Context, corpus: PreparedCorpus, list: Contender[]): Promise<void> {
  const scenarios: ServerScenario[] = ['fresh', 'noop', ...(ctx.options.statusCorpora.includes(corpus.name) ? (['status'] as const) : [])];
  const cells = new Map<string, Cell>();
  const cellOf = (s: ServerScenario, c: Contender) => cells.get(`${s}/${c.id}`)!;
  for (const s of scenarios) {
    for (const c of list) {
      const cell = newCell(corpus, s, c.id, c.label(s));
      if (c.command(s, corpus, { url: () => '' }) === null) cell.notMeasured = 'the tool has no such command';
      cells.set(`${s}/${c.id}`, cell);
      ctx.results.cells.push(cell);
    }
  }
  const logs = path.join(corpus.workDir, 'logs');
  await mkdir(logs, { recursive: true });
  const connection = (db: string, port?: number) => ({ url: (o: { sslDisable?: boolean } = {}) => databaseUrl(ctx.pool.server, db, { ...o, ...(port ? { port } : {}) }) });
  const appliedDb = new Map<ContenderId, string>();
  const countFresh = COUNTED_FRESH.includes(corpus.name);
  const countedRun = async (s: ServerScenario, c: Contender, db: string) => {
    const cell = cellOf(s, c);
    const spec = c.command(s, corpus, connection(db, ctx.proxy.port))!;
    const log = path.join(logs, `${s}-${c.id}-counted.log`);
    ctx.proxy.take();
    const run = await measure(spec, log);
    const counts = ctx.proxy.take();
    // The proxy is gone when someone reruns the command: show it with the server's own port.
    const direct = displayCommand(c.command(s, corpus, connection(db))!);
    if (run.exitCode !== 0) await fail(ctx, cell, spec, run, log, 'counted run', `\n  (ran through the counting proxy; directly: ${direct})`);
    else cell.counts = counts;
    progress(`  ${corpus.name} ${s} counted ${c.id}: ${counts.queries} queries, ${counts.roundTrips} round trips (${fmt(run)})`);
  };
  try {
    // Untimed: the fresh apply through the counting proxy. It also warms the caches, and
    // its database becomes the contender's database for the no-op and status runs.
    // Skipped on the scaling-only and insert-heavy corpora to keep a full run short:
    // there, the last timed fresh run's database is kept instead.
    if (countFresh) {
      for (const c of list) {
        const db = await ctx.pool.create();
        appliedDb.set(c.id, db);
        await countedRun('fresh', c, db);
      }
    }
    // Timed fresh apply: each run on a new database, contenders alternated.
    for (let r = 0; r < ctx.options.runs; r++) {
      for (const c of rotate(list, r)) {
        const cell = cellOf('fresh', c);
        if (cell.failure || cell.notMeasured) continue;
        const db = await ctx.pool.create();
        let keep = false;
        try {
          const spec = c.command('fresh', corpus, connection(db))!;
          const log = path.join(logs, `fresh-${c.id}-${r}.log`);
          const run = await measure(spec, log);
          if (run.exitCode !== 0) await fail(ctx, cell, spec, run, log, `timed run ${r + 1}`);
          else record(cell, spec, run);
          keep = !countFresh && !cell.failure && r === ctx.options.runs - 1;
          if (keep) appliedDb.set(c.id, db);
          progress(`  ${corpus.name} fresh r${r + 1}/${ctx.options.runs} ${c.id}: ${fmt(run)}`);
        } finally {
          if (!keep) await ctx.pool.drop(db);
        }
      }
    }
    // No-op and status: one counted run, then the timed ones, on the database migrated above.
    for (const c of list) {
      for (const s of scenarios.filter((x) => x !== 'fresh')) {
        const cell = cellOf(s, c);
        if (cell.notMeasured) continue;
        const db = appliedDb.get(c.id);
        if (db === undefined || cellOf('fresh', c).failure) {
          cell.failure = 'no database to run on: the fresh apply failed';
          continue;
        }
        await countedRun(s, c, db);
      }
    }
    for (const s of scenarios.filter((x) => x !== 'fresh')) {
      for (let r = 0; r < ctx.options.runs; r++) {
        for (const c of rotate(list, r)) {
          const cell = cellOf(s, c);
          if (cell.failure || cell.notMeasured) continue;
          const spec = c.command(s, corpus, connection(appliedDb.get(c.id)!))!;
          const log = path.join(logs, `${s}-${c.id}-${r}.log`);
          const run = await measure(spec, log);
          if (run.exitCode !== 0) await fail(ctx, cell, spec, run, log, `timed run ${r + 1}`);
          else record(cell, spec, run);
        }
      }
      const medians = list.map((c) => `${c.id} ${msOrDash(median(cellOf(s, c).wallMs))}`).join(', ');
      progress(`  ${corpus.name} ${s}: ${medians}`);
    }
    const ours = list.find((c) => c.id === 'ours')!;
    const oursDb = appliedDb.get('ours');
    if (oursDb !== undefined && !cellOf('fresh', ours).failure) {
      // Issue 8: a no-op run loads no SQL parser, no PGlite, no TypeScript parser, on every corpus.
      if (corpus.name !== 'rows') await traceLoads(ctx, corpus, `migrate, no-op on ${corpus.name}, on a server`, ours.command('noop', corpus, connection(oursDb))!);
      if (corpus.name === loadsCorpus(ctx.options)) {
        if (scenarios.includes('status')) await traceLoads(ctx, corpus, 'status on a server', ours.command('status', corpus, connection(oursDb))!);
        const db = await ctx.pool.create();
        try {
          await traceLoads(ctx, corpus, 'migrate, fresh apply, on a server', ours.command('fresh', corpus, connection(db))!);
        } finally {
          await ctx.pool.drop(db);
        }
      }
      if (ctx.options.profile && corpus.name === 'large') {
        await profile(ctx, corpus, 'migrate no-op on large (server)', ours.command('noop', corpus, connection(oursDb))!);
        const db = await ctx.pool.create();
        try {
          await profile(ctx, corpus, 'migrate fresh apply on large (server)', ours.command('fresh', corpus, connection(db))!);
        } finally {
          await ctx.pool.drop(db);
        }
      }
    }
  } finally {
    for (const db of appliedDb.values()) await ctx.pool.drop(db);
  }
}

/** The corpus on which module loads are traced: medium, else whatever runs. */
function loadsCorpus(options: BenchOptions): CorpusName | undefined {
  return options.corpora.includes('medium') ? 'medium' : options.corpora[0];
}

async function traceLoads(ctx: Context, corpus: PreparedCorpus, what: string, spec: CommandSpec): Promise<void> {
  const trace = path.join(corpus.workDir, `loads-${Object.keys(ctx.results.loads).length}.txt`);
  const traced = withLoadTrace(spec, trace, ctx.tools.repoRoot);
  const log = `${trace}.log`;
  const run = await measure(traced, log);
  if (run.exitCode !== 0 || !existsSync(trace)) {
    ctx.results.loads[what] = { error: `exit ${run.exitCode}: ${displayCommand(traced)}` };
    ctx.results.failures.push(`[loads] ${what}: exit ${run.exitCode}\n  command: ${displayCommand(traced)}\n${(await tail(log)).replace(/^/gm, '  | ')}`);
    return;
  }
  ctx.results.loads[what] = await readLoadTrace(trace, ctx.tools.engineRoot);
  progress(`  loads, ${what}: ${Object.keys((ctx.results.loads[what] as { packages: object }).packages).join(', ')}`);
}

async function profile(ctx: Context, corpus: PreparedCorpus, what: string, spec: CommandSpec): Promise<void> {
  const dir = path.join(corpus.workDir, `profile-${Object.keys(ctx.results.profiles).length}`);
  await mkdir(dir, { recursive: true });
  const profiled = withCpuProfile(spec, dir);
  const log = path.join(dir, 'run.log');
  const run = await measure(profiled, log);
  if (run.exitCode !== 0) {
    ctx.results.profiles[what] = { error: `exit ${run.exitCode}: ${displayCommand(profiled)}` };
    return;
  }
  try {
    ctx.results.profiles[what] = await summariseProfile(dir, ctx.tools.engineRoot, run.wallMs);
  } catch (error) {
    ctx.results.profiles[what] = { error: (error as Error).message };
  }
  progress(`  profile, ${what}: ${fmt(run)}`);
}

/** Ours on PGlite: a new folder per fresh run; no-op runs on a folder migrated once, untimed. */
async function embeddedScenarios(ctx: Context, corpus: PreparedCorpus): Promise<void> {
  const fresh = newCell(corpus, 'embedded-fresh', 'ours', 'migrate, pglite:<new folder>');
  const noop = newCell(corpus, 'embedded-noop', 'ours', 'migrate, pglite:<migrated folder>');
  ctx.results.cells.push(fresh, noop);
  const logs = path.join(corpus.workDir, 'logs');
  await mkdir(logs, { recursive: true });
  const noopDir = path.join(corpus.workDir, 'pglite-noop');
  try {
    const warm = oursEmbedded(ctx.tools, corpus, noopDir);
    const warmLog = path.join(logs, 'embedded-warm.log');
    const warmRun = await measure(warm, warmLog);
    if (warmRun.exitCode !== 0) await fail(ctx, noop, warm, warmRun, warmLog, 'untimed first run');
    if (corpus.name === loadsCorpus(ctx.options) && !noop.failure) await traceLoads(ctx, corpus, 'migrate, no-op, on PGlite', oursEmbedded(ctx.tools, corpus, noopDir));
    for (let r = 0; r < ctx.options.runs; r++) {
      if (!fresh.failure) {
        const dir = path.join(corpus.workDir, `pglite-fresh-${r}`);
        const spec = oursEmbedded(ctx.tools, corpus, dir);
        const log = path.join(logs, `embedded-fresh-${r}.log`);
        try {
          const run = await measure(spec, log);
          if (run.exitCode !== 0) await fail(ctx, fresh, spec, run, log, `timed run ${r + 1}`);
          else record(fresh, spec, run);
          progress(`  ${corpus.name} embedded fresh r${r + 1}/${ctx.options.runs}: ${fmt(run)}`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      if (!noop.failure) {
        const spec = oursEmbedded(ctx.tools, corpus, noopDir);
        const log = path.join(logs, `embedded-noop-${r}.log`);
        const run = await measure(spec, log);
        if (run.exitCode !== 0) await fail(ctx, noop, spec, run, log, `timed run ${r + 1}`);
        else record(noop, spec, run);
      }
    }
    progress(`  ${corpus.name} embedded no-op: ${msOrDash(median(noop.wallMs))}`);
  } finally {
    await rm(noopDir, { recursive: true, force: true });
  }
}

/** `verify --no-db`. Exit 1 (findings) still counts as a measured run; exit 2 means not available. */
async function verifyScenario(ctx: Context, corpus: PreparedCorpus): Promise<void> {
  const cell = newCell(corpus, 'verify', 'ours', 'verify --no-db');
  ctx.results.cells.push(cell);
  const logs = path.join(corpus.workDir, 'logs');
  await mkdir(logs, { recursive: true });
  for (let r = 0; r < ctx.options.runs; r++) {
    const spec = oursVerify(ctx.tools, corpus);
    const log = path.join(logs, `verify-${r}.log`);
    const run = await measure(spec, log);
    if (run.exitCode === 0 || run.exitCode === 1) {
      record(cell, spec, run);
      continue;
    }
    const first = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n')[0] ?? '';
    if (r === 0 && run.exitCode === 2) {
      cell.notMeasured = `${first || 'exit 2'} (command: ${displayCommand(spec)})`;
      progress(`  ${corpus.name} verify: not measured — ${first}`);
    } else {
      await fail(ctx, cell, spec, run, log, `run ${r + 1}`);
    }
    return;
  }
  const codes = [...new Set(cell.exitCodes)];
  if (codes.includes(1)) cell.label = 'verify --no-db (exit 1: findings reported)';
  progress(`  ${corpus.name} verify: ${msOrDash(median(cell.wallMs))} (exit ${codes.join('/')})`);
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Runs the benchmark; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (options.render !== null) {
    const source = path.resolve(options.render);
    const saved = JSON.parse(await readFile(source, 'utf8')) as BenchResults;
    const target = source.replace(/\.json$/, '') + '.md';
    await writeFile(target, `${renderMarkdown(saved)}\n`);
    process.stdout.write(`${renderText(saved)}\n`);
    progress(`bench: wrote ${path.relative(process.cwd(), target)}`);
    return 0;
  }
  const cli = path.join(repoRoot, 'dist', 'bin.js');
  if (!existsSync(cli)) {
    process.stderr.write(`bench: ${path.relative(repoRoot, cli)} is missing: run npm run build first\n`);
    return 2;
  }
  if (!hasGnuTime) progress('bench: /usr/bin/time not found: peak memory is not measured');
  const startedAt = new Date();
  const workRoot = path.join(repoRoot, 'bench', 'work', `${startedAt.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
  const tools: Toolbox = { repoRoot, engineRoot: path.join(workRoot, 'engine'), node: process.execPath, psql: process.env.BENCH_PSQL ?? 'psql' };

  let pool: DatabasePool | null = null;
  let proxy: CountingProxy | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopRunning();
      await proxy?.close().catch(() => undefined);
      const dropped = (await pool?.dropAll()) ?? [];
      if (!options.keep) await rm(workRoot, { recursive: true, force: true });
      progress(`bench: cleaned up (${dropped.length} database(s) dropped${options.keep ? `; kept ${workRoot}` : `, ${path.relative(repoRoot, workRoot)} removed`})`);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`bench: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let results: BenchResults | null = null;
  try {
    pool = await openDatabasePool(options.adminUrl);
    proxy = await startCountingProxy(pool.server.host, pool.server.port);
    const nodePgMigrate = JSON.parse(await readFile(path.join(nodePgMigrateDir(repoRoot), 'package.json'), 'utf8')) as { version: string };
    const built = statSync(cli).mtimeMs;
    if (newestMtime(path.join(repoRoot, 'src')) > built) progress('bench: note: src/ has changes newer than dist/; the engine measured is the last build');
    await snapshotEngine(repoRoot, tools.engineRoot);
    const machine = await machineInfo({ repoRoot, postgresVersion: pool.version, psql: tools.psql, dbmate: resolveBinary(), nodePgMigrateVersion: nodePgMigrate.version, engineBuiltAt: new Date(built) });
    results = {
      date: today(),
      startedAt: startedAt.toISOString(),
      durationS: 0,
      mode: options.mode,
      runs: options.runs,
      seed: options.seed,
      machine,
      corpora: {},
      cells: [],
      loads: {},
      importTimes: [],
      profiles: {},
      failures: [],
    };
    process.stdout.write(`${[`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB`, `PostgreSQL: ${machine.postgres}`, `Node: ${machine.node}`].join('\n')}\n\n`);
    const ctx: Context = { options, tools, pool, proxy, workRoot, results };
    if (options.only === null) results.importTimes = await measureImports(ctx);
    const list = contenders(tools);
    const every = [...new Set([...options.corpora, ...options.embeddedCorpora, ...options.verifyCorpora, ...options.shadowCorpora])];
    for (const name of every) {
      progress(`[${name}] preparing`);
      let corpus: PreparedCorpus;
      try {
        corpus = await prepareCorpus(name, { workRoot, tools, pool, seed: options.seed, smallTheme: options.smallTheme });
      } catch (error) {
        results.failures.push(`[${name}] preparing the corpus failed: ${(error as Error).message}`);
        progress(results.failures.at(-1)!);
        continue;
      }
      results.corpora[name] = { files: corpus.files.length, note: CORPUS_NOTES[name] };
      if (options.corpora.includes(name)) await serverScenarios(ctx, corpus, list);
      if (options.embeddedCorpora.includes(name)) await embeddedScenarios(ctx, corpus);
      if (options.verifyCorpora.includes(name)) await verifyScenario(ctx, corpus);
      if (options.shadowCorpora.includes(name)) await shadowScenarios(tools, corpus, options.runs, results, progress);
    }
  } catch (error) {
    const message = `bench: harness error: ${(error as Error).stack ?? String(error)}`;
    results?.failures.push(message);
    progress(message);
    if (!results) {
      await cleanup();
      return 1;
    }
  } finally {
    await cleanup();
  }
  results.durationS = (Date.now() - startedAt.getTime()) / 1000;
  process.stdout.write(`${renderText(results)}\n`);
  if (options.write) {
    const dir = path.join(repoRoot, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    // A partial run (--only) never overwrites the day's full results.
    const name = options.only === null ? results.date : `${results.date}-${options.only}`;
    await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(path.join(dir, `${name}.md`), `${renderMarkdown(results)}\n`);
    progress(`bench: wrote bench/results/${name}.json and .md`);
  }
  if (results.failures.length > 0) {
    progress(`bench: ${results.failures.length} failure(s); see FAILURES above`);
    return 1;
  }
  return 0;
}

/** Import cost of our CLI entry and of the heavy packages, each in a fresh process; probes alternated. */
async function measureImports(ctx: Context): Promise<ImportTime[]> {
  const probes = importProbes(ctx.tools.engineRoot);
  const samples = new Map<string, number[]>(probes.map((p) => [p.module, []]));
  const errors = new Map<string, string>();
  const dir = path.join(ctx.workRoot, 'imports');
  await mkdir(dir, { recursive: true });
  for (let r = 0; r < Math.max(ctx.options.runs, 3); r++) {
    for (const [i, probe] of rotate(probes, r).entries()) {
      if (errors.has(probe.module)) continue;
      const spec = importTimer(ctx.tools.node, ctx.tools.repoRoot, probe.code);
      const log = path.join(dir, `${r}-${i}.log`);
      const run = await measure(spec, log);
      const value = Number((await readFile(log, 'utf8')).trim());
      if (run.exitCode !== 0 || !Number.isFinite(value)) errors.set(probe.module, `exit ${run.exitCode}: ${(await tail(log, 3)).replace(/\n/g, ' ')}`);
      else samples.get(probe.module)!.push(value);
    }
  }
  const times = probes.map((p) => ({ module: p.module, medianMs: median(samples.get(p.module)!), ...(errors.has(p.module) ? { error: errors.get(p.module)! } : {}) }));
  progress(`  imports: ${times.map((t) => `${t.module.split(' ')[0]} ${msOrDash(t.medianMs)}`).join(', ')}`);
  return times;
}

/**
 * Copies what an installed package holds (package.json and its `files`: bin/,
 * dist/, migrations/, …) and the floor script into `engineRoot`: the engine
 * measured is the installed command, and stays the same for the whole run (a
 * rebuild of dist/ meanwhile changes nothing). No scripts/: the repository's
 * db:* scripts check src/ against the bundle and load esbuild when it is older,
 * which an app's `npx tiered-migrate` never does. The snapshot lies under bench/,
 * whose node_modules (the peers' install, with a `pg` of its own as
 * node-pg-migrate's peer) would come first when the engine resolves a package:
 * the link to the repository's node_modules makes the engine and the floor load
 * what the package installs, as they do outside the benchmark.
 */
async function snapshotEngine(repoRoot: string, engineRoot: string): Promise<void> {
  await mkdir(engineRoot, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { files?: string[] };
  await cp(path.join(repoRoot, 'package.json'), path.join(engineRoot, 'package.json'));
  for (const entry of manifest.files ?? ['bin/', 'dist/', 'migrations/']) {
    const from = path.join(repoRoot, entry);
    if (existsSync(from)) await cp(from, path.join(engineRoot, entry), { recursive: true });
  }
  await cp(path.join(repoRoot, 'bench', FLOOR_SCRIPT), path.join(engineRoot, FLOOR_SCRIPT));
  // A link, not a copy: rm() of the work folder removes the link, never what it points at.
  await symlink(path.join(repoRoot, 'node_modules'), path.join(engineRoot, 'node_modules'), 'dir');
}

/** Latest modification time of any file under `dir` (0 when there is none). */
function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}
