// Builds the run's result (the `--json` document) from the plan and what happened.
import type { Plan, PlannedMigration } from '../core/plan.js';
import type { TrackedRow } from '../core/types.js';
import { TRACKING_TABLES, describeRow } from '../core/tracking.js';
import { MigrateError, MigrationFailedError } from '../core/errors.js';
import type { ErrorReport, LockWait, MigrationOutcome, RunResult } from './events.js';
import type { Command } from './events.js';

/** The theme or plugin a source belongs to (settings areas report their owner). */
function ownerName(sourceName: string | null): string | null {
  return sourceName === null ? null : (sourceName.split('/')[0] ?? sourceName);
}

function fromRow(row: TrackedRow, status: 'missing' | 'inactive'): MigrationOutcome {
  return {
    tier: TRACKING_TABLES[row.table].tierOf(row),
    source: ownerName(row.sourceName),
    entity: row.entity,
    filename: row.filename,
    path: null,
    label: describeRow(row),
    status,
    durationMs: row.durationMs ?? null,
    appliedAt: row.executedAt ?? null,
  };
}

/** What happened to a file this run tried (files it did not try have no entry). */
export interface Outcome {
  status: 'applied' | 'failed' | 'skipped';
  durationMs: number | null;
  lockWaits?: LockWait[];
  notes?: string[];
}

/** Every file's outcome, filled in as the run goes. */
export type Outcomes = Map<PlannedMigration, Outcome>;

export function errorReport(error: MigrateError): ErrorReport {
  const failed = error instanceof MigrationFailedError ? error : null;
  return {
    code: error.code,
    message: error.message,
    file: error.file,
    line: error.line,
    column: error.column,
    sqlstate: failed?.sqlstate ?? null,
    detail: failed?.detail ?? null,
    hint: failed ? failed.pgHint : error.hint,
    ...(failed ? { fix: failed.hint } : {}),
    sourceLine: failed?.sourceLine ?? null,
    ...(failed ? { recorded: failed.recorded } : {}),
    ...(failed && !failed.rolledBack ? { rolledBack: false as const } : {}),
  };
}

export function buildResult(
  options: { command: Command; database: string | null },
  plan: Plan | null,
  outcomes: ReadonlyMap<PlannedMigration, Outcome>,
  error: MigrateError | null,
): RunResult {
  const migrations: MigrationOutcome[] = [];
  for (const item of plan?.items ?? []) {
    const file = item.file;
    const outcome = outcomes.get(item);
    let status: MigrationOutcome['status'];
    if (outcome) status = outcome.status;
    else if (item.state === 'applied') status = options.command === 'status' ? 'applied' : 'skipped';
    else if (item.state === 'modified') status = 'modified';
    else if (item.state === 'sample-data-skipped') status = 'sample-data-skipped';
    else status = 'pending';
    migrations.push({
      tier: file.source.tier,
      source: ownerName(file.source.sourceName),
      entity: file.source.entity,
      filename: file.filename,
      path: file.path,
      label: file.path,
      status,
      durationMs:
        outcome?.durationMs !== undefined && outcome.durationMs !== null
          ? Math.round(outcome.durationMs * 10) / 10
          : options.command === 'status'
            ? (item.row?.durationMs ?? null)
            : null,
      appliedAt: item.row?.executedAt ?? null,
      ...(outcome?.lockWaits?.length ? { lockWaits: outcome.lockWaits } : {}),
      ...(outcome?.notes?.length ? { notes: outcome.notes } : {}),
    });
  }
  if (plan) {
    migrations.push(...plan.missing.map((r) => fromRow(r, 'missing')));
    if (options.command === 'status') migrations.push(...plan.inactive.map((r) => fromRow(r, 'inactive')));
  }
  return {
    ok: error === null,
    command: options.command,
    database: options.database,
    migrations,
    problems: plan?.problems ?? [],
    error: error ? errorReport(error) : null,
    ...(plan?.productionDatabase ? { productionDatabase: true } : {}),
  };
}
