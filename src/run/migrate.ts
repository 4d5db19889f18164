// The run: discovery → plan → execution, reported as events. `migrate`,
// `--dry-run` and `status` share everything up to the plan.
import type { Database } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { openDatabase } from '../db/connect.js';
import { discover, type DiscoverOptions, type Discovery } from '../discover/project.js';
import { unusedCoreFolderProblems } from '../discover/core-dir.js';
import { allEntityOrigins } from '../discover/entity-origins.js';
import { hasErrors, type Plan, type PlanOptions, type Problem } from '../core/plan.js';
import { planWithTokens } from '../sql/token-checksum.js';
import { encodingProblems } from '../core/encoding.js';
import { orphanDownFileProblems } from '../core/down-files.js';
import type { MigrationFile, TrackedRow } from '../core/types.js';
import { MigrateError, type MigrationFailedError } from '../core/errors.js';
import { adoptChecksums, ensureTrackingSchema, readServerFacts, readTracking } from '../tracking/store.js';
import { preflightError, type ServerFacts } from '../tracking/preflight.js';
import { lockDownTracking } from '../tracking/lockdown.js';
import { setSetting } from '../tracking/settings.js';
import { PRODUCTION_SETTING } from '../core/tracking.js';
import { executePlan } from './apply.js';
import type { Outcomes } from './result.js';
import type { Command, EventSink, RunResult } from './events.js';
import { buildResult, errorReport } from './result.js';
import type { BackupRequest, PreparedBackup } from '../recovery/backup.js';
import type { Limits } from '../core/limits.js';

export interface RunOptions {
  command: Command;
  /** The project: root, active theme, where the core tier comes from. */
  project: DiscoverOptions;
  target: DatabaseTarget;
  sampleData: boolean;
  /** `--sample-data` was passed: sample data runs even on a database marked as production. */
  sampleDataForced?: boolean;
  /** NODE_ENV=production: a migrate run marks the database as production (once). */
  productionEnv?: boolean;
  strictOrder: boolean;
  allowMissing: boolean;
  dryRun: boolean;
  /**
   * Stops the run: the running statement is cancelled on the server, its file rolls
   * back (file and tracking row are one transaction), and no further file starts.
   */
  signal?: AbortSignal;
  /** `migrate --backup`: back the whole database up once the plan finds something pending, before anything is applied. */
  backup?: BackupRequest;
  /** lock_timeout, its retries and statement_timeout of each file's transaction. Default: DEFAULT_LIMITS. */
  limits?: Limits;
  /**
   * A fleet's schema-per-tenant target: the run's transactions use `search_path` = this
   * schema, then public, and the tracking tables live in it (made if missing).
   */
  schema?: string;
  /** The project as already discovered (a fleet discovers once for all its targets). Default: discovered here. */
  discovery?: Discovery;
}

class RollbackPlan extends Error {}

/** Runs a command to completion; never throws for expected failures (they are in the result). */
export async function run(options: RunOptions, emit: EventSink): Promise<RunResult> {
  let discovery: Discovery | null = null;
  let plan: Plan | null = null;
  const outcomes: Outcomes = new Map();
  const finish = (error: MigrateError | null): RunResult => {
    const result = buildResult({ command: options.command, database: options.target.display }, plan, outcomes, error);
    emit({ type: 'done', result });
    return result;
  };

  let db: Database | null = null;
  const signal = options.signal;
  const cancel = () => void db?.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    // Configuration errors surface here, before any connection: nothing is touched.
    discovery = options.discovery ?? (await discover(options.project));
    const core = discovery.core;
    emit({
      type: 'start',
      command: options.command,
      database: options.target.display,
      databaseOrigin: options.target.origin,
      embeddedDir: options.target.kind === 'pglite' ? options.target.dir : null,
      core: { dir: core.dir, origin: core.origin, files: discovery.files.filter((f) => f.source.tier === 'core').length, unusedRootFolder: core.unusedRootFolder },
      dryRun: options.dryRun,
    });
    if (signal?.aborted) return finish(abortError(signal));
    const files = discovery.files;
    // `--backup`: the path is checked before connecting; pg_dump (it must not be older
    // than the server) once the plan finds something pending, before anything is applied.
    const backupModule = options.backup && options.command === 'migrate' && !options.dryRun ? await import('../recovery/backup.js') : null;
    const backupFile = backupModule && options.backup ? backupModule.backupPath(options.target, options.project.root, options.backup) : null;
    db = await openDatabase(options.target, {
      scripts: () => files.map((f) => f.content),
      connect: { onRetry: (r) => emit({ type: 'connect:retry', attempt: r.attempt, error: errorReport(r.error), nextInMs: r.nextInMs, remainingMs: r.remainingMs }) },
    });
    if (options.schema !== undefined) db = await (await import('../fleet/schema.js')).inSchema(db, options.schema);
    emit({ type: 'connected', database: db.display });

    const loaded = await loadPlan(db, discovery, options, emit);
    plan = loaded.plan;
    const schema = loaded.schema;
    const writes = options.command === 'migrate' && !options.dryRun;
    const refused = preflightError(loaded.facts, { writes, createsTracking: false, pending: pendingFiles(plan).length > 0, database: db.display });
    if (refused) return finish(refused);
    emit({ type: 'plan', discovery, plan, sampleData: options.sampleData });
    for (const problem of plan.problems) emit({ type: 'problem', problem });
    if (hasErrors(plan)) {
      const errors = plan.problems.filter((p) => p.severity === 'error');
      return finish(
        new MigrateError('VALIDATION', `${errors.length} problem(s) must be fixed before anything runs`, {
          hint: errors[0]?.hint ?? undefined,
          file: errors[0]?.file ?? undefined,
        }),
      );
    }
    if (options.command === 'status') return finish(null);
    if (writes) await settleDatabase(db, schema, loaded, options, emit);

    if (backupModule && backupFile && options.backup) {
      if (plan.items.some((i) => i.state === 'pending')) {
        const backup: PreparedBackup = await backupModule.prepareBackup(db, options.target, backupFile, options.project.root, options.backup);
        await backup.take(emit);
      } else emit({ type: 'backup:skipped', reason: 'nothing is pending: no backup was taken' });
    }
    const adopt = plan.items.filter((i) => i.adoptChecksum).map((i) => i.file);
    if (adopt.length > 0 && !options.dryRun) await db.transaction((tx) => adoptChecksums(tx, schema, adopt), { lock: 'exclusive' });

    const failure = await executePlan(db, schema, plan.items, { dryRun: options.dryRun, signal, limits: options.limits }, emit, outcomes);
    if (failure === 'aborted') return finish(abortError(signal!));
    // A statement cancelled because the run was aborted reports the abort, not the cancel.
    if (failure) return finish(signal?.aborted ? abortError(signal, failure) : failure);
    return finish(null);
  } catch (error) {
    if (error instanceof MigrateError) return finish(error);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await db?.close();
  }
}

/**
 * Before the first file: tracking tables found open (a GRANT by hand, a database
 * made by an older version) are locked down, and a NODE_ENV=production run marks
 * the database as production, once. One transaction under the migration lock;
 * nothing when there is nothing to do (a no-op run stays one round trip).
 */
async function settleDatabase(db: Database, schema: string, loaded: LoadedPlan, options: RunOptions, emit: EventSink): Promise<void> {
  const mark = options.productionEnv === true && !loaded.plan.productionDatabase;
  if (!loaded.facts.trackingOpen && !mark) return;
  await db.transaction(
    async (tx) => {
      if (loaded.facts.trackingOpen) {
        const notes = await lockDownTracking(tx, schema);
        if (notes.length > 0) emit({ type: 'tracking-upgraded', notes });
      }
      if (mark) {
        const changed = await setSetting(tx, schema, PRODUCTION_SETTING, 'true', 'NODE_ENV=production');
        if (changed) emit({ type: 'production-marked', database: db.display, reason: 'NODE_ENV=production' });
      }
    },
    { lock: 'exclusive' },
  );
}

/** The run was stopped from outside (Ctrl-C, SIGTERM, the API's AbortSignal). */
function abortError(signal: AbortSignal, failure?: MigrationFailedError): MigrateError {
  const reason = signal.reason instanceof Error ? signal.reason.message : typeof signal.reason === 'string' ? signal.reason : 'aborted';
  // A no-transaction file is not rolled back: its statements before the stop stay applied.
  const what = failure?.rolledBack === false ? 'was stopped part-way (its earlier statements stay applied: a no-transaction file) and is not recorded' : 'was rolled back and not recorded';
  return new MigrateError('ABORTED', `run stopped (${reason})${failure ? `: ${failure.file} ${what}` : ''}`, {
    ...(failure?.file ? { file: failure.file } : {}),
    hint: 'Files applied before the stop are recorded; run again to apply the rest.',
    cause: failure,
  });
}

/**
 * Reads the tracking rows and plans. When the tracking tables are missing or need an
 * upgrade, the upgrade happens in the same transaction as the planning, and is
 * rolled back if the plan has errors, or for a dry run or status: a rejected run
 * leaves the database exactly as it found it. Also returns the tracking tables'
 * schema, learnt by that first read, which qualifies every later statement.
 */
interface LoadedPlan {
  plan: Plan;
  schema: string;
  facts: ServerFacts;
}

async function loadPlan(db: Database, discovery: Discovery, options: RunOptions, emit: EventSink): Promise<LoadedPlan> {
  const planOptions = (settings: ReadonlyMap<string, string>) => ({
    sampleData: options.sampleData,
    sampleDataForced: options.sampleDataForced ?? false,
    productionDatabase: settings.get(PRODUCTION_SETTING) === 'true',
    strictOrder: options.strictOrder,
    allowMissing: options.allowMissing,
  });
  const recording = options.command === 'migrate' && !options.dryRun;
  const state = await readTracking(db, options.schema ?? null);
  if (state.ready) {
    const plan = await planRun(discovery, state.rows, planOptions(state.settings), recording);
    plan.problems.push(...(await fileChecks(options, pendingFiles(plan))));
    return { plan, schema: state.schema, facts: state.facts };
  }

  // The tables must be created or upgraded: first, whether this server and role can.
  const facts = await readServerFacts(db);
  const readOnly = options.dryRun || options.command === 'status';
  const refused = preflightError(facts, { writes: !readOnly, createsTracking: true, pending: discovery.files.length > 0, database: db.display });
  if (refused) throw refused;
  if (readOnly && (facts.standby || facts.readOnly || facts.createInTracking === false)) {
    // A standby or a read-only role can still be read: the tables as they are (made
    // before the settings table existed), or none yet.
    const existing = await readTracking(db, options.schema ?? null, { settings: false }).catch(() => null);
    const rows = existing?.ready ? existing.rows : [];
    const plan = await planRun(discovery, rows, planOptions(new Map()), false);
    return { plan, schema: existing?.ready ? existing.schema : (options.schema ?? 'public'), facts };
  }

  // The file checks need no database: made before taking the lock (runners started
  // together would otherwise parse one after the other), on every file that may be
  // pending; only the problems of files the plan finds pending are kept.
  const checked = await fileChecks(options, discovery.files);
  let planned: Plan | null = null;
  let schema: string | null = null;
  try {
    await db.transaction(
      async (tx) => {
        const ensured = await ensureTrackingSchema(tx, allEntityOrigins(discovery.root), options.schema);
        const notes = ensured.notes;
        schema = ensured.schema;
        const again = await readTracking(tx, schema);
        if (!again.ready) throw new MigrateError('DATABASE', `tracking tables could not be prepared: ${again.reason}`);
        const plan = await planRun(discovery, again.rows, planOptions(again.settings), recording);
        const pending = new Set(pendingFiles(plan).map((f) => f.path));
        plan.problems.push(...checked.filter((p) => p.file !== null && pending.has(p.file)));
        planned = plan;
        if (notes.length > 0 && !readOnly && !hasErrors(plan)) emit({ type: 'tracking-upgraded', notes });
        if (readOnly || hasErrors(plan)) throw new RollbackPlan();
      },
      { lock: 'exclusive' },
    );
  } catch (error) {
    if (!(error instanceof RollbackPlan)) throw error;
  }
  return { plan: planned!, schema: schema!, facts };
}

/** The plan (with the token checksums it needs), and the core folder's problems first. */
async function planRun(discovery: Discovery, rows: readonly TrackedRow[], planOptions: PlanOptions, recording: boolean): Promise<Plan> {
  const plan = await planWithTokens(discovery.files, discovery.sources, rows, planOptions, recording);
  plan.problems.unshift(...unusedCoreFolderProblems(discovery.core), ...orphanDownFileProblems(discovery.orphanDownFiles));
  return plan;
}

function pendingFiles(plan: Plan): MigrationFile[] {
  return plan.items.filter((i) => i.state === 'pending').map((i) => i.file);
}

/**
 * Checks of files that may run, before anything runs: their bytes must be UTF-8,
 * and their SQL must hold no transaction control and no psql client feature. The
 * parser loads only when a file may run and the lexical pre-filter cannot clear it.
 */
async function fileChecks(options: RunOptions, files: readonly MigrationFile[]): Promise<Problem[]> {
  if (options.command !== 'migrate' || files.length === 0) return [];
  const problems = encodingProblems(files);
  // A file that is not UTF-8 must be fixed first; its decoded text is not what its author wrote.
  const readable = files.filter((f) => !f.invalidUtf8);
  const { sqlFileProblems } = await import('../sql/file-checks.js');
  problems.push(...(await sqlFileProblems(readable)));
  return problems;
}
