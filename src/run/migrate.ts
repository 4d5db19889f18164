// The run: discovery → plan → execution, reported as events. `migrate`,
// `--dry-run` and `status` share everything up to the plan.
import type { Database } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { openDatabase } from '../db/connect.js';
import { discover, type DiscoverOptions, type Discovery } from '../discover/project.js';
import { unusedCoreFolderProblems } from '../discover/core-dir.js';
import { allEntityOrigins } from '../discover/entity-origins.js';
import { buildPlan, hasErrors, type Plan, type PlannedMigration } from '../core/plan.js';
import type { TrackedRow } from '../core/types.js';
import { DatabaseError, MigrateError, MigrationFailedError } from '../core/errors.js';
import { adoptChecksums, ensureTrackingSchema, readTracking, recordAppliedSql, recordedCheckSql } from '../tracking/store.js';
import { locateFailure } from './locate-failure.js';
import { stripBom } from '../core/text.js';
import type { Command, EventSink, RunResult } from './events.js';
import { buildResult } from './result.js';

export interface RunOptions {
  command: Command;
  /** The project: root, active theme, where the core tier comes from. */
  project: DiscoverOptions;
  target: DatabaseTarget;
  sampleData: boolean;
  strictOrder: boolean;
  allowMissing: boolean;
  dryRun: boolean;
  /**
   * Stops the run: the running statement is cancelled on the server, its file rolls
   * back (file and tracking row are one transaction), and no further file starts.
   */
  signal?: AbortSignal;
}

class RollbackPlan extends Error {}

/** Runs a command to completion; never throws for expected failures (they are in the result). */
export async function run(options: RunOptions, emit: EventSink): Promise<RunResult> {
  let discovery: Discovery | null = null;
  let plan: Plan | null = null;
  const outcomes = new Map<PlannedMigration, { status: 'applied' | 'failed' | 'skipped'; durationMs: number | null }>();
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
    discovery = await discover(options.project);
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
    db = await openDatabase(options.target, { scripts: () => files.map((f) => f.content) });
    emit({ type: 'connected', database: db.display });

    plan = await loadPlan(db, discovery, options, emit);
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

    const adopt = plan.items.filter((i) => i.adoptChecksum).map((i) => i.file);
    if (adopt.length > 0 && !options.dryRun) await db.transaction((tx) => adoptChecksums(tx, adopt), { exclusive: true });

    for (const item of plan.items) {
      if (signal?.aborted && item.state === 'pending' && !options.dryRun) return finish(abortError(signal));
      if (item.state === 'applied') {
        emit({ type: 'file:skip', item, byOtherRunner: false });
      } else if (item.state === 'sample-data-skipped') {
        emit({ type: 'file:sample-data-skipped', item });
      } else if (options.dryRun) {
        emit({ type: 'file:would-run', item });
      } else {
        const failure = await applyOne(db, item, emit, outcomes);
        // A statement cancelled because the run was aborted reports the abort, not the cancel.
        if (failure) return finish(signal?.aborted ? abortError(signal, failure) : failure);
      }
    }
    return finish(null);
  } catch (error) {
    if (error instanceof MigrateError) return finish(error);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await db?.close();
  }
}

/** The run was stopped from outside (Ctrl-C, SIGTERM, the API's AbortSignal). */
function abortError(signal: AbortSignal, failure?: MigrationFailedError): MigrateError {
  const reason = signal.reason instanceof Error ? signal.reason.message : typeof signal.reason === 'string' ? signal.reason : 'aborted';
  return new MigrateError('ABORTED', `run stopped (${reason})${failure ? `: ${failure.file} was rolled back and not recorded` : ''}`, {
    ...(failure?.file ? { file: failure.file } : {}),
    hint: 'Files applied before the stop are recorded; run again to apply the rest.',
    cause: failure,
  });
}

/**
 * Reads the tracking rows and plans. When the tracking tables are missing or need an
 * upgrade, the upgrade happens in the same transaction as the planning, and is
 * rolled back if the plan has errors, or for a dry run or status: a rejected run
 * leaves the database exactly as it found it.
 */
async function loadPlan(db: Database, discovery: Discovery, options: RunOptions, emit: EventSink): Promise<Plan> {
  const planOptions = { sampleData: options.sampleData, strictOrder: options.strictOrder, allowMissing: options.allowMissing };
  const plan = async (rows: TrackedRow[]) => {
    const planned = buildPlan(discovery.files, discovery.sources, rows, planOptions);
    planned.problems.unshift(...unusedCoreFolderProblems(discovery.core));
    return withFileChecks(planned, options);
  };
  const state = await readTracking(db);
  if (state.ready) return plan(state.rows);

  const readOnly = options.dryRun || options.command === 'status';
  let planned: Plan | null = null;
  try {
    await db.transaction(
      async (tx) => {
        const notes = await ensureTrackingSchema(tx, allEntityOrigins(discovery.root));
        const again = await readTracking(tx);
        if (!again.ready) throw new MigrateError('DATABASE', `tracking tables could not be prepared: ${again.reason}`);
        planned = await plan(again.rows);
        if (notes.length > 0 && !readOnly && !hasErrors(planned)) emit({ type: 'tracking-upgraded', notes });
        if (readOnly || hasErrors(planned)) throw new RollbackPlan();
      },
      { exclusive: true },
    );
  } catch (error) {
    if (!(error instanceof RollbackPlan)) throw error;
  }
  return planned!;
}

/** Checks that need the files' SQL understood; the parser loads only when something is pending. */
async function withFileChecks(plan: Plan, options: RunOptions): Promise<Plan> {
  if (options.command !== 'migrate') return plan;
  const pending = plan.items.filter((i) => i.state === 'pending').map((i) => i.file);
  if (pending.length === 0) return plan;
  const { transactionControlProblems } = await import('../sql/transaction-control.js');
  plan.problems.push(...(await transactionControlProblems(pending)));
  return plan;
}

/** Applies one file and its tracking row in one transaction. Returns the failure, if any. */
async function applyOne(
  db: Database,
  item: PlannedMigration,
  emit: EventSink,
  outcomes: Map<PlannedMigration, { status: 'applied' | 'failed' | 'skipped'; durationMs: number | null }>,
): Promise<MigrationFailedError | null> {
  const file = item.file;
  // What the server receives: the file without a BOM (PostgreSQL rejects one); line endings kept.
  const text = stripBom(file.content);
  const started = performance.now();
  let sqlError: DatabaseError | null = null;
  let ranHere = false;
  try {
    await db.transaction(
      async (tx, recorded) => {
        // Read under the lock (the prelude): another runner may have applied it while we waited.
        if (recorded.length > 0) return;
        emit({ type: 'file:start', item });
        try {
          // The tracking row travels in the same script: one round trip, one transaction.
          // The newline and semicolon close a last statement or line comment left open.
          await tx.exec(`${text}\n;\n${recordAppliedSql(file)}`);
        } catch (error) {
          if (error instanceof DatabaseError) sqlError = error;
          throw error;
        }
        ranHere = true;
      },
      { exclusive: true, prelude: recordedCheckSql(file) },
    );
  } catch (error) {
    const durationMs = performance.now() - started;
    if (!sqlError) throw error;
    const failed: DatabaseError = sqlError;
    // Replaying a file to find the failing statement would run it again: never after a
    // cancel, a timeout or a lost connection (the statement may be slow, or the server gone).
    const replayable = !isInterruption(failed.pg.sqlstate);
    const location = replayable ? await locateFailure(db, text, failed).catch(() => null) : null;
    const failure = new MigrationFailedError({
      file: file.path,
      line: location?.line ?? null,
      column: location?.column ?? null,
      sourceLine: location?.text ?? null,
      pg: failed.pg,
      cause: failed,
    });
    outcomes.set(item, { status: 'failed', durationMs });
    emit({ type: 'file:error', item, error: failure, durationMs });
    return failure;
  }
  const durationMs = performance.now() - started;
  if (ranHere) {
    outcomes.set(item, { status: 'applied', durationMs });
    emit({ type: 'file:done', item, durationMs });
  } else {
    outcomes.set(item, { status: 'skipped', durationMs: null });
    emit({ type: 'file:skip', item, byOtherRunner: true });
  }
  return null;
}

/** query_canceled (a cancel request, statement_timeout), admin shutdown, lost connections. */
function isInterruption(sqlstate: string | null): boolean {
  return sqlstate === '57014' || sqlstate === '57P01' || sqlstate === '57P02' || sqlstate === '57P03' || (sqlstate?.startsWith('08') ?? false);
}
