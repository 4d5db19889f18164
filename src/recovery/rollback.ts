// db:rollback: undoes applied migrations with their down files (`NNN_name.down.sql`,
// core/down-files.ts), newest first, across all tiers. Planning is pure (which rows,
// in which order, what is missing); execution runs each down file in one transaction
// together with the removal of its tracking row, under the migration lock, exactly
// as the engine applies a file (run/apply.ts): a down file that fails changes nothing.
import path from 'node:path';
import type { Database } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { openDatabase } from '../db/connect.js';
import { embeddedExists } from '../db/pglite.js';
import { discover, type DiscoverOptions, type Discovery } from '../discover/project.js';
import { buildPlan, type Problem } from '../core/plan.js';
import type { MigrationFile, TrackedRow } from '../core/types.js';
import { LEGACY_TRACKING_TABLE_NAMES, TRACKING_TABLE_NAMES, describeRow, fileKey, rowKey } from '../core/tracking.js';
import { downFilenameOf } from '../core/down-files.js';
import { encodingProblems } from '../core/encoding.js';
import { stripBom } from '../core/text.js';
import { DatabaseError, MigrateError, MigrationFailedError } from '../core/errors.js';
import { readAllSql, readTracking, removeRecordSql, trackedRowsOf } from '../tracking/store.js';
import { locateFailure } from '../run/locate-failure.js';
import { recordHistory } from '../tracking/history.js';

/** How far back: the last `steps` applied migrations, or everything applied after `to` (a path). */
export type RollbackTarget = { steps: number } | { to: string };

/** One applied migration to undo. `file` is null when its migration is not on disk. */
export interface RollbackStep {
  row: TrackedRow;
  file: MigrationFile | null;
  /** What the step is called in messages: the file's path, or the row's description. */
  label: string;
  /** Path of the down file that undoes it (whether or not it exists). */
  downPath: string;
  /** The file changed since it was applied, as the engine's plan judges it (core/plan.ts). */
  modified: boolean;
}

export interface RollbackPlan {
  /** Newest first: the order they are undone in. */
  steps: RollbackStep[];
  /** Reasons nothing may run (a step without a down file, a modified migration…). */
  problems: Problem[];
}

/**
 * The applied migrations of the active setup, newest first. The order is the
 * execution order as recorded: `executed_at` (each file's transaction start; rows
 * without one count as oldest), and for equal times the reverse of the engine's
 * order. Rows of inactive themes, plugins and entities are another setup's: left out.
 * Rows whose file is gone from disk are in (and refused when in range: no down file).
 */
export function appliedNewestFirst(files: readonly MigrationFile[], rows: readonly TrackedRow[], discovery: Pick<Discovery, 'sources'>): RollbackStep[] {
  const plan = buildPlan(files, discovery.sources, rows, { sampleData: true, strictOrder: false, allowMissing: true });
  const entries: { step: RollbackStep; order: number }[] = [];
  plan.items.forEach((item, order) => {
    if (!item.row) return;
    const downPath = item.file.down?.path ?? `${item.file.source.dir}/${downFilenameOf(item.file.filename)}`;
    entries.push({ step: { row: item.row, file: item.file, label: item.file.path, downPath, modified: item.state === 'modified' }, order });
  });
  for (const row of plan.missing) entries.push({ step: { row, file: null, label: describeRow(row), downPath: '', modified: false }, order: -1 });
  // executed_at is `timestamp::text` in the ISO DateStyle (the default): one fixed
  // layout, so its text sorts as its time does.
  const time = (s: RollbackStep) => s.row.executedAt ?? '';
  entries.sort((a, b) => (time(a.step) < time(b.step) ? 1 : time(a.step) > time(b.step) ? -1 : b.order - a.order));
  return entries.map((e) => e.step);
}

/**
 * Which steps a target selects, and what stops them. Pure. `to` is a path relative
 * to the project root (the CLI resolves and checks it); that file stays applied.
 */
export function planRollback(applied: readonly RollbackStep[], target: RollbackTarget): RollbackPlan {
  let steps: RollbackStep[];
  if ('steps' in target) {
    if (!Number.isInteger(target.steps) || target.steps < 1) throw new MigrateError('USAGE', `--steps needs a whole number of 1 or more, not ${target.steps}`);
    if (target.steps > applied.length && applied.length > 0) {
      throw new MigrateError('USAGE', `--steps ${target.steps}, but only ${applied.length} migration${applied.length === 1 ? ' is' : 's are'} applied`, {
        hint: `Pass --steps ${applied.length} (or less) to undo ${applied.length === 1 ? 'it' : 'them all'}.`,
      });
    }
    steps = applied.slice(0, target.steps);
  } else {
    const at = applied.findIndex((s) => s.file?.path === target.to);
    if (at < 0) {
      throw new MigrateError('USAGE', `--to ${target.to}: no applied migration of the active setup has that path`, {
        hint: 'Name an applied file by its path from the project root (db:status lists them).',
      });
    }
    steps = applied.slice(0, at);
  }
  const problems: Problem[] = [];
  for (const step of steps) {
    const problem = stepProblem(step);
    if (problem) problems.push(problem);
  }
  return { steps, problems };
}

function stepProblem(step: RollbackStep): Problem | null {
  const refuse = (message: string, hint: string): Problem => ({ severity: 'error', code: 'missing', file: step.file?.path ?? step.label, message, hint });
  if (!step.file) return refuse(`${step.label} was applied but is missing from disk: nothing says how to undo it`, 'Restore the file and its down file, or undo it by hand and remove its tracking row (db:repair --forget).');
  if (!step.file.down) return refuse(`${step.file.path} has no down file (${step.downPath})`, `Write ${step.downPath} to undo it (DROP … IF EXISTS of what it creates), or roll back less.`);
  if (step.modified) {
    return { severity: 'error', code: 'modified', file: step.file.path, message: `${step.file.path} was changed after it was applied: its down file may not undo what ran`, hint: 'Restore the applied version of the file (git checkout) before rolling it back.' };
  }
  return null;
}

export interface RollbackOptions {
  project: DiscoverOptions;
  target: DatabaseTarget;
  rollback: RollbackTarget;
  /** Only plan: nothing is executed, nothing is written (the tracking tables are not even created). */
  dryRun: boolean;
  /**
   * Called with the plan before anything runs (not for a dry run, nor when the plan
   * is refused or empty); returning false stops with nothing changed.
   */
  confirm?: (plan: RollbackPlan) => Promise<boolean>;
  /** Called as each step starts and ends, for progress output. */
  onStep?: (event: RollbackEvent) => void;
  /** Who asked, for the history besides the database role (e.g. `alice@laptop`). */
  actor?: string | null;
}

export type StepStatus = 'planned' | 'rolled-back' | 'failed' | 'not-run' | 'already-rolled-back';

export type RollbackEvent =
  | { type: 'plan'; plan: RollbackPlan; database: string }
  | { type: 'step:start'; step: RollbackStep }
  | { type: 'step:done'; step: RollbackStep; status: 'rolled-back' | 'already-rolled-back'; durationMs: number }
  | { type: 'step:error'; step: RollbackStep; error: MigrationFailedError };

export interface RollbackResult {
  ok: boolean;
  database: string;
  dryRun: boolean;
  /** False when the confirmation was declined (nothing changed). */
  confirmed: boolean;
  plan: RollbackPlan;
  statuses: Map<RollbackStep, StepStatus>;
  /** What stopped the rollback: a refused plan, a failed down file, a concurrent change. */
  error: MigrateError | null;
}

/** Plans and (unless a dry run) executes a rollback. Throws MigrateError for configuration and usage errors. */
export async function rollback(options: RollbackOptions): Promise<RollbackResult> {
  const discovery = await discover(options.project);
  if ('to' in options.rollback) options = { ...options, rollback: { to: projectPath(discovery.root, options.rollback.to) } };
  if (options.target.kind === 'pglite' && options.target.dir && !embeddedExists(options.target.dir)) {
    // Opening it would create one: a rollback never does. Nothing was ever applied there.
    const plan = planRollback([], options.rollback);
    options.onStep?.({ type: 'plan', plan, database: options.target.display });
    return { ok: true, database: options.target.display, dryRun: options.dryRun, confirmed: true, plan, statuses: new Map(), error: null };
  }
  const db = await openDatabase(options.target);
  try {
    const state = await readTracking(db);
    // No tracking table at all: nothing was ever applied. Some, but not ready: an older layout.
    if (!state.ready && (await trackingTablesExist(db))) {
      throw new MigrateError('VALIDATION', `the tracking tables need an upgrade first (${state.reason})`, { hint: 'Run db:migrate once (it upgrades them), then roll back.' });
    }
    const rows = state.ready ? state.rows : [];
    const applied = appliedNewestFirst(discovery.files, rows, discovery);
    const plan = planRollback(applied, options.rollback);
    plan.problems.push(...(await downFileProblems(plan.steps)));
    const statuses = new Map<RollbackStep, StepStatus>(plan.steps.map((s) => [s, 'planned']));
    const result: RollbackResult = { ok: true, database: db.display, dryRun: options.dryRun, confirmed: true, plan, statuses, error: null };
    options.onStep?.({ type: 'plan', plan, database: db.display });
    if (plan.problems.some((p) => p.severity === 'error')) {
      const errors = plan.problems.filter((p) => p.severity === 'error');
      return { ...result, ok: false, error: new MigrateError('VALIDATION', `${errors.length} problem(s) stop the rollback: nothing was undone`, { file: errors[0]!.file ?? undefined, hint: errors[0]!.hint ?? undefined }) };
    }
    if (options.dryRun || plan.steps.length === 0 || !state.ready) return result;
    if (options.confirm && !(await options.confirm(plan))) return { ...result, confirmed: false };
    for (const s of plan.steps) statuses.set(s, 'not-run');
    const known = new Set(rows.map(rowKey));
    for (const step of plan.steps) {
      const outcome = await undoOne(db, state.schema, step, known, options);
      if (outcome instanceof MigrateError) {
        if (outcome instanceof MigrationFailedError) statuses.set(step, 'failed');
        return { ...result, ok: false, error: outcome };
      }
      statuses.set(step, outcome);
    }
    return result;
  } finally {
    await db.close();
  }
}

/**
 * `--to`'s path, relative to the project root with `/` separators: a relative path
 * is read from the root (as db:status prints them); one that leads outside is refused.
 */
export function projectPath(root: string, given: string): string {
  const full = path.resolve(root, given);
  const relative = path.relative(root, full);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new MigrateError('USAGE', `--to ${given} is outside the project root (${root})`, { hint: 'Name a migration file of the project, by its path from the root.' });
  }
  return relative.split(path.sep).join('/');
}

/** The engine's own pre-run checks, on the down files about to run: UTF-8, no transaction control, no psql features. */
async function downFileProblems(steps: readonly RollbackStep[]): Promise<Problem[]> {
  const downs = steps.flatMap((s) => (s.file?.down ? [s.file.down] : []));
  if (downs.length === 0) return [];
  const problems = encodingProblems(downs);
  const { sqlFileProblems } = await import('../sql/file-checks.js');
  problems.push(...(await sqlFileProblems(downs.filter((f) => !f.invalidUtf8))));
  return problems;
}

/**
 * Runs one down file and removes its tracking row, in one transaction under the
 * migration lock. The rows are re-read under the lock: a row gone meanwhile was
 * rolled back by another runner (skipped); a row that was not there when the plan
 * was made means a runner applied something since, and nothing more is undone.
 */
async function undoOne(db: Database, schema: string, step: RollbackStep, known: ReadonlySet<string>, { onStep, actor }: RollbackOptions): Promise<'rolled-back' | 'already-rolled-back' | MigrateError> {
  const file = step.file!;
  const down = file.down!;
  const defaults = db.sessionDefaultsSql;
  const text = stripBom(down.content);
  const started = performance.now();
  let sqlError: DatabaseError | null = null;
  let outcome: 'rolled-back' | 'already-rolled-back' | MigrateError = 'rolled-back';
  try {
    await db.transaction(
      async (tx, raw) => {
        const rows = trackedRowsOf(raw);
        const added = rows.find((r) => !known.has(rowKey(r)));
        if (added) {
          outcome = new MigrateError('VALIDATION', `${describeRow(added)} was applied by another runner after the rollback was planned: stopped before ${file.path}`, {
            hint: 'Check what was applied (db:status), then run the rollback again.',
          });
          return;
        }
        if (!rows.some((r) => rowKey(r) === fileKey(file))) return void (outcome = 'already-rolled-back');
        onStep?.({ type: 'step:start', step });
        // In the same transaction: a down file that fails leaves no history entry either.
        await recordHistory(tx, schema, {
          action: 'rollback',
          table: step.row.table,
          sourceType: step.row.sourceType,
          sourceName: step.row.sourceName,
          entity: step.row.entity,
          filename: step.row.filename,
          oldChecksum: step.row.checksum,
          newChecksum: null,
          rowExecutedAt: step.row.executedAt ?? null,
          actor: actor ?? null,
          note: `undone by ${down.path}`,
        });
        try {
          // As the engine applies a file (run/apply.ts): the file first (error positions
          // are positions in it), then the session's defaults and the tracking change, and
          // COMMIT in the same script; a failing statement makes the server skip the rest.
          await tx.execAndCommit(`${text}\n;\n${defaults};\n${removeRecordSql(schema, file)}`);
        } catch (error) {
          if (error instanceof DatabaseError) sqlError = error;
          throw error;
        }
      },
      { lock: 'exclusive', prelude: `${defaults};\n${readAllSql(schema)}` },
    );
  } catch (error) {
    if (!sqlError) throw error;
    const failure = await located(db, down, text, sqlError);
    onStep?.({ type: 'step:error', step, error: failure });
    return failure;
  }
  if (typeof outcome === 'string') onStep?.({ type: 'step:done', step, status: outcome, durationMs: performance.now() - started });
  return outcome;
}

/** Whether any tracking table is visible to the session. */
async function trackingTablesExist(db: Database): Promise<boolean> {
  const names = [...TRACKING_TABLE_NAMES, ...LEGACY_TRACKING_TABLE_NAMES];
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM unnest($1::text[]) AS t(name) WHERE pg_catalog.to_regclass(pg_catalog.quote_ident(name)) IS NOT NULL`, [names]);
  return (row?.n ?? 0) > 0;
}

/** The down file's failure, at its line and column. */
async function located(db: Database, down: MigrationFile, text: string, error: DatabaseError): Promise<MigrationFailedError> {
  // From what the server said: the down file is never run a second time to find the statement.
  const location = await locateFailure(text, error).catch(() => null);
  return new MigrationFailedError({
    file: down.path,
    line: location?.line ?? null,
    column: location?.column ?? null,
    sourceLine: location?.text ?? null,
    pg: error.pg,
    // Not about a row being written: the row stays, its removal rolled back with the file.
    recorded: null,
    cause: error,
  });
}
