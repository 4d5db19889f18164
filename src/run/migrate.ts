// The run: discovery → plan → execution, reported as events. `migrate`,
// `--dry-run` and `status` share everything up to the plan.
import type { Database } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { openDatabase } from '../db/connect.js';
import { discover, type Discovery } from '../discover/project.js';
import { prepareThemeConfig } from '../discover/theme-config-cache.js';
import { allEntityOrigins } from '../discover/entity-origins.js';
import { buildPlan, hasErrors, type Plan, type Problem } from '../core/plan.js';
import type { MigrationFile } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { adoptChecksums, ensureTrackingSchema, readTracking } from '../tracking/store.js';
import { executePlan, type Outcomes } from './apply.js';
import type { Command, EventSink, RunResult } from './events.js';
import { buildResult } from './result.js';

export interface RunOptions {
  command: Command;
  root: string;
  theme: string | undefined;
  /** Where the theme name came from, for messages (`--theme`, `NEXT_PUBLIC_ACTIVE_THEME`). */
  themeOrigin: string;
  target: DatabaseTarget;
  sampleData: boolean;
  strictOrder: boolean;
  allowMissing: boolean;
  dryRun: boolean;
}

class RollbackPlan extends Error {}

/** Runs a command to completion; never throws for expected failures (they are in the result). */
export async function run(options: RunOptions, emit: EventSink): Promise<RunResult> {
  let discovery: Discovery | null = null;
  let plan: Plan | null = null;
  const outcomes: Outcomes = new Map();
  const finish = (error: MigrateError | null): RunResult => {
    const result = buildResult(options, plan, outcomes, error);
    emit({ type: 'done', result });
    return result;
  };

  let db: Database | null = null;
  try {
    // Configuration errors surface here, before any connection: nothing is touched.
    await prepareThemeConfig(options.root, options.theme);
    discovery = discover(options.root, options.theme, options.themeOrigin);
    emit({
      type: 'start',
      command: options.command,
      database: options.target.display,
      embeddedDir: options.target.kind === 'pglite' ? options.target.dir : null,
      dryRun: options.dryRun,
    });
    db = await openDatabase(options.target);
    emit({ type: 'connected', database: db.display });

    const loaded = await loadPlan(db, discovery, options, emit);
    plan = loaded.plan;
    const schema = loaded.schema;
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
    if (adopt.length > 0 && !options.dryRun) await db.transaction((tx) => adoptChecksums(tx, schema, adopt), { lock: 'exclusive' });

    const failure = await executePlan(db, schema, plan.items, options.dryRun, emit, outcomes);
    if (failure) return finish(failure);
    return finish(null);
  } catch (error) {
    if (error instanceof MigrateError) return finish(error);
    throw error;
  } finally {
    await db?.close();
  }
}

/**
 * Reads the tracking rows and plans. When the tracking tables are missing or need an
 * upgrade, the upgrade happens in the same transaction as the planning, and is
 * rolled back if the plan has errors, or for a dry run or status: a rejected run
 * leaves the database exactly as it found it. Also returns the tracking tables'
 * schema, learnt by that first read, which qualifies every later statement.
 */
async function loadPlan(db: Database, discovery: Discovery, options: RunOptions, emit: EventSink): Promise<{ plan: Plan; schema: string }> {
  const planOptions = { sampleData: options.sampleData, strictOrder: options.strictOrder, allowMissing: options.allowMissing };
  const state = await readTracking(db);
  if (state.ready) {
    const plan = buildPlan(discovery.files, discovery.sources, state.rows, planOptions);
    plan.problems.push(...(await fileChecks(options, pendingFiles(plan))));
    return { plan, schema: state.schema };
  }

  // The file checks need no database: made before taking the lock (runners started
  // together would otherwise parse one after the other), on every file that may be
  // pending; only the problems of files the plan finds pending are kept.
  const checked = await fileChecks(options, discovery.files);
  const readOnly = options.dryRun || options.command === 'status';
  let planned: Plan | null = null;
  let schema: string | null = null;
  try {
    await db.transaction(
      async (tx) => {
        const ensured = await ensureTrackingSchema(tx, allEntityOrigins(discovery.root));
        const notes = ensured.notes;
        schema = ensured.schema;
        const again = await readTracking(tx, schema);
        if (!again.ready) throw new MigrateError('DATABASE', `tracking tables could not be prepared: ${again.reason}`);
        const plan = buildPlan(discovery.files, discovery.sources, again.rows, planOptions);
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
  return { plan: planned!, schema: schema! };
}

function pendingFiles(plan: Plan): MigrationFile[] {
  return plan.items.filter((i) => i.state === 'pending').map((i) => i.file);
}

/** Checks that need the files' SQL understood; the parser loads only when a file may run. */
async function fileChecks(options: RunOptions, files: readonly MigrationFile[]): Promise<Problem[]> {
  if (options.command !== 'migrate' || files.length === 0) return [];
  const { transactionControlProblems } = await import('../sql/transaction-control.js');
  return transactionControlProblems(files);
}
