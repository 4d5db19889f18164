// A fleet run: the same plan on many databases. The project is discovered once;
// each target is an ordinary run (its own connection, the engine's own migration
// lock, so two fleets or a booting replica never apply a file twice), at most
// `concurrency` at a time. Per target only a fixed-size summary is kept; the full
// result goes to `onTargetDone` as soon as it is known (memory flat in the number
// of targets). Resume is a re-run: a current target applies nothing.
import { MigrateError } from '../core/errors.js';
import { targetOfUrl } from '../db/connect.js';
import { discover, type Discovery } from '../discover/project.js';
import { runResolved, type MigrateOptions } from '../api/migrate.js';
import type { ResolvedConfig } from '../api/config.js';
import type { Command, RunEvent, RunResult } from '../run/events.js';
import type { FleetTarget } from './targets.js';
import { buildResult } from '../run/result.js';

export type OnError = 'stop' | 'continue';

export interface FleetOptions {
  concurrency: number;
  /** Run the first N targets alone first; the rest only if all N succeeded. 0: no canary. */
  canary: number;
  /** `stop`: start no new target after a failure (running ones finish). */
  onError: OnError;
  signal?: AbortSignal;
  /** Each target's full result, when it is done (completion order). */
  onTargetDone?: (target: FleetTarget, index: number, done: TargetRun) => void;
  onProgress?: (progress: FleetProgress) => void;
}

export interface FleetProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
  /** Files applied on all targets so far. */
  applied: number;
}

/** What the summary shows of one target: fixed size, whatever the number of files. */
export interface TargetSummary {
  label: string;
  /** Redacted. */
  database: string;
  /** Schema-per-tenant: the tenant's schema; null when the database is the tenant. */
  schema: string | null;
  /** `not-started`: skipped after a failure (`--on-error stop`) or a failed canary. */
  status: 'ok' | 'failed' | 'not-started';
  applied: number;
  skipped: number;
  pending: number;
  modified: number;
  missing: number;
  /** What the run changed besides files: `created schema "tenant_42"`, tracking upgrades. */
  notes: string[];
  /** The last file in plan order that is applied on this target. */
  latest: string | null;
  error: { code: string; message: string; file: string | null; line: number | null } | null;
}

/** One target's run: its result, and what the run changed besides files (a schema made, tracking tables upgraded). */
export interface TargetRun {
  result: RunResult;
  notes: string[];
}

export interface FleetResult {
  ok: boolean;
  command: Command;
  targets: TargetSummary[];
  /** Why targets were not started, when some were not. */
  stopped: string | null;
}

/** Runs `command` on every target: discovery once, then one ordinary run per target. */
export async function runFleet(command: Command, config: ResolvedConfig, options: MigrateOptions, targets: readonly FleetTarget[], fleet: FleetOptions): Promise<FleetResult> {
  const discovery = await discover(config.project);
  const connect = config.target.kind === 'postgres' ? config.target.connect : undefined;
  const runOne = async (target: FleetTarget): Promise<TargetRun> => {
    let resolved: ResolvedConfig;
    try {
      const t = targetOfUrl(config.project.root, target.url, target.origin);
      resolved = { ...config, target: t.kind === 'postgres' && connect ? { ...t, connect } : t };
    } catch (error) {
      if (!(error instanceof MigrateError)) throw error;
      return { result: failedResult(command, error), notes: [] };
    }
    // Of a target's events only its notes are kept: the per-file events of hundreds of
    // targets would interleave unreadably; the result says what was applied.
    const notes: string[] = [];
    const onEvent = (event: RunEvent) => void (event.type === 'tracking-upgraded' && notes.push(...event.notes));
    const runOptions = { ...options, onEvent, ...(fleet.signal ? { signal: fleet.signal } : {}) };
    if (target.schema === null) return { result: await runResolved(command, resolved, runOptions, { discovery }), notes };
    // Schema-per-tenant: the core tier (auth tables, RLS helpers, user metas, API keys:
    // one set of users per database) runs once in `public`, tracked there; the theme,
    // plugin and entity tiers run in the tenant's schema, tracked there. Tenants of one
    // database share the migration lock, so the first one applies the core, the others find it applied.
    const shared = await runResolved(command, resolved, runOptions, { discovery: tiersOf(discovery, 'core') });
    if (!shared.ok) return { result: shared, notes };
    const own = await runResolved(command, resolved, runOptions, { discovery: tiersOf(discovery, 'tenant'), schema: target.schema });
    return { result: { ...own, migrations: [...shared.migrations, ...own.migrations], problems: [...shared.problems, ...own.problems] }, notes };
  };
  return scheduleFleet(command, targets, fleet, runOne);
}

/** The part of the project a schema target shares in `public` (the core tier), or keeps in its own schema (the rest). */
function tiersOf(discovery: Discovery, part: 'core' | 'tenant'): Discovery {
  const keep = (tier: string) => (part === 'core') === (tier === 'core');
  return {
    ...discovery,
    sources: discovery.sources.filter((s) => keep(s.tier)),
    files: discovery.files.filter((f) => keep(f.source.tier)),
    orphanDownFiles: discovery.orphanDownFiles.filter((f) => keep(f.source.tier)),
  };
}

/**
 * The scheduling, apart from what a run is: canary first, then the rest, never more
 * than `concurrency` at once, no new start after a failure under `stop` or an abort.
 */
export async function scheduleFleet(command: Command, targets: readonly FleetTarget[], fleet: FleetOptions, runOne: (target: FleetTarget) => Promise<TargetRun>): Promise<FleetResult> {
  const summaries: TargetSummary[] = targets.map((t) => notStarted(t));
  const progress: FleetProgress = { total: targets.length, done: 0, failed: 0, running: 0, applied: 0 };
  let stopped: string | null = null;
  const canStart = () => stopped === null && !fleet.signal?.aborted;

  const work = async (index: number) => {
    const target = targets[index]!;
    progress.running++;
    fleet.onProgress?.({ ...progress });
    const done = await runOne(target);
    const summary = summarize(target, done.result, done.notes);
    summaries[index] = summary;
    progress.running--;
    progress.done++;
    progress.applied += summary.applied;
    if (summary.status === 'failed') {
      progress.failed++;
      if (fleet.onError === 'stop' && stopped === null) stopped = `${target.label} failed (--on-error stop): no further target was started`;
    }
    fleet.onTargetDone?.(target, index, done);
    fleet.onProgress?.({ ...progress });
  };

  const canary = Math.min(fleet.canary, targets.length);
  await pool(range(0, canary), fleet.concurrency, canStart, work);
  if (canary > 0 && stopped === null && summaries.slice(0, canary).some((s) => s.status === 'failed')) {
    stopped = `a canary target failed (--canary ${fleet.canary}): no further target was started`;
  }
  await pool(range(canary, targets.length), fleet.concurrency, canStart, work);
  if (stopped === null && fleet.signal?.aborted) stopped = 'the run was stopped: no further target was started';
  const ok = summaries.every((s) => s.status === 'ok');
  return { ok, command, targets: summaries, stopped };
}

/** At most `limit` of `work` at once, each started only while `canStart()`. */
async function pool(indexes: readonly number[], limit: number, canStart: () => boolean, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < indexes.length && canStart()) await work(indexes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, indexes.length)) }, worker));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function notStarted(target: FleetTarget): TargetSummary {
  return { label: target.label, database: displayOf(target), schema: target.schema, status: 'not-started', applied: 0, skipped: 0, pending: 0, modified: 0, missing: 0, notes: [], latest: null, error: null };
}

function displayOf(target: FleetTarget): string {
  try {
    return targetOfUrl('.', target.url, target.origin).display;
  } catch {
    return target.label;
  }
}

/** The fixed-size summary of one target's result. */
export function summarize(target: FleetTarget, result: RunResult, notes: string[] = []): TargetSummary {
  const count = (status: string) => result.migrations.filter((m) => m.status === status).length;
  let latest: string | null = null;
  for (const m of result.migrations) if (m.status === 'applied' || m.status === 'skipped') latest = m.label;
  const error = result.error;
  return {
    label: target.label,
    database: result.database ?? displayOf(target),
    schema: target.schema,
    status: result.ok ? 'ok' : 'failed',
    applied: count('applied'),
    skipped: count('skipped'),
    pending: count('pending'),
    modified: count('modified'),
    missing: count('missing'),
    notes,
    latest: result.command === 'status' ? latestApplied(result) : latest,
    error: error ? { code: error.code, message: error.message, file: error.file, line: error.line } : null,
  };
}

/** For status: the applied file with the latest appliedAt (ties: the later in plan order). */
function latestApplied(result: RunResult): string | null {
  let latest: { label: string; at: string } | null = null;
  for (const m of result.migrations) {
    if (m.status !== 'applied') continue;
    const at = m.appliedAt ?? '';
    if (latest === null || at >= latest.at) latest = { label: m.label, at };
  }
  return latest?.label ?? null;
}

/** For `status --targets`: behind-most first (failed, then most pending, then modified + missing). */
export function behindMostFirst(targets: readonly TargetSummary[]): TargetSummary[] {
  const rank = (s: TargetSummary) => (s.status === 'failed' ? 1 : 0);
  return [...targets].sort((a, b) => rank(b) - rank(a) || b.pending - a.pending || b.modified + b.missing - (a.modified + a.missing) || a.label.localeCompare(b.label));
}

function failedResult(command: Command, error: MigrateError): RunResult {
  return buildResult({ command, database: null }, null, new Map(), error);
}
