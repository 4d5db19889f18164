// Executing a plan: each pending file and its tracking row in one transaction,
// under the migration lock, starting from the session's defaults and leaving none
// of its settings behind.
//
// Runners started together (replicas at boot) do not queue for the lock file by
// file. A runner that gets the lock at once leads: it applies file after file. One
// that finds it taken follows: it waits for the leader's current file to end (a
// shared lock, which never stops the leader's next file), and while the count of
// tracking rows grows it pauses and waits again. When the count stops growing (the
// leader is done, failed or gone) it reads every tracking row once, skips what was
// applied, and tries to lead itself. Every file is still applied under the
// exclusive lock after a re-read of its row: exactly once, whoever applies it.
import type { Database } from '../db/driver.js';
import type { PlannedMigration } from '../core/plan.js';
import { fileKey, rowKey } from '../core/tracking.js';
import { DatabaseError, MigrationFailedError } from '../core/errors.js';
import { countAllSql, readAllSql, recordAppliedSql, recordedCheckSql, trackedRowsOf } from '../tracking/store.js';
import { stripBom } from '../core/text.js';
import type { EventSink, LockWait } from './events.js';
import { DEFAULT_LIMITS, limitsSql, retryPauseMs, type Limits } from '../core/limits.js';
import { lockObserver, type LockBlocker, type LockObserver } from './lock-watch.js';
import { LOCK_NOT_AVAILABLE, limitHint, pauseUnlessAborted } from './lock-retry.js';

import { isNoTransaction } from '../sql/directives.js';
import type { Outcomes } from './result.js';


/** Bounds of a follower's pause between two looks at the leader's progress. */
const FOLLOW_PAUSE_MS = { min: 20, max: 250 };

/** How this runner takes the lock for its next file. */
type Role = 'try' | 'lead' | 'follow';

/**
 * What the run keeps about the item being applied: its lock timeouts so far, and the
 * connection that looks for who is in its way (kept across the item's retries).
 */
interface FileState {
  lockWaits: LockWait[];
  observer: LockObserver;
}

/**
 * Runs the plan's items in order (`dryRun`: reports what would run). Returns the
 * failure that stopped it, if any, or 'aborted' when `signal` stopped it before a
 * file; every item's event is emitted in plan order.
 */
export async function executePlan(
  db: Database,
  schema: string,
  items: readonly PlannedMigration[],
  options: { dryRun: boolean; signal?: AbortSignal | undefined; limits?: Limits | undefined },
  emit: EventSink,
  outcomes: Outcomes,
): Promise<MigrationFailedError | 'aborted' | null> {
  const file: FileState = { lockWaits: [], observer: lockObserver(db) };
  try {
    return await applyItems();
  } finally {
    file.observer.close();
  }

  /** The loop, with the state of the item being applied in `file`. */
  async function applyItems(): Promise<MigrationFailedError | 'aborted' | null> {
    const { dryRun, signal } = options;
    const limits = options.limits ?? DEFAULT_LIMITS;
    const nextItem = () => {
      file.observer.close();
      file.observer = lockObserver(db);
      file.lockWaits = [];
    };
    // Files another runner recorded, learnt from re-reads.
    const doneElsewhere = new Set<string>();
    /** Reports an item that needs no transaction; false when it has to be applied. */
    const settle = (item: PlannedMigration): boolean => {
      if (item.state === 'applied') emit({ type: 'file:skip', item, byOtherRunner: false });
      else if (item.state === 'sample-data-skipped') emit({ type: 'file:sample-data-skipped', item });
      else if (dryRun) emit({ type: 'file:would-run', item });
      else if (doneElsewhere.has(fileKey(item.file))) {
        outcomes.set(item, { status: 'skipped', durationMs: null });
        emit({ type: 'file:skip', item, byOtherRunner: true });
      } else return false;
      return true;
    };
    let role: Role = 'try';
    let announced: PlannedMigration | null = null;
    for (let i = 0; i < items.length; ) {
      const item = items[i]!;
      if (settle(item)) {
        i++;
        nextItem();
        continue;
      }
      if (signal?.aborted) return 'aborted';
      // Before the lock: a wait for another runner shows as the time until file:start.
      if (announced !== item) emit({ type: 'file:lock-wait', item });
      announced = item;
      if (role === 'follow') {
        await follow(db, schema, doneElsewhere, items.length - i, signal);
        role = 'try';
        continue;
      }
      // A `-- migrate:no-transaction` file has its own protocol (a claim, no transaction held while it runs).
      const step = isNoTransaction(item.file.content)
        ? await (await import('./no-transaction.js')).applyOutsideTransaction(db, schema, item, emit, outcomes, signal)
        : await applyOne(db, schema, item, role === 'lead' ? 'exclusive' : 'try', { limits, ...file }, emit, outcomes, items);
      if (step === 'applied') {
        role = 'lead';
        i++;
        nextItem();
      } else if (typeof step === 'object' && 'retryInMs' in step) {
        // Rolled back whole, the migration lock released: other sessions (and runners) go on meanwhile.
        if (!(await pauseUnlessAborted(step.retryInMs, signal))) return 'aborted';
        emit({ type: 'file:retry', item, attempt: file.lockWaits.length + 1, attempts: limits.lockRetries + 1 });
        announced = null;
      } else if (step === 'busy') {
        role = 'follow';
      } else if (step === 'done-elsewhere') {
        // Another runner is applying files: follow it rather than race it for each one.
        doneElsewhere.add(fileKey(item.file));
        role = 'follow';
      } else {
        return step;
      }
    }
    return null;
  }
}

/**
 * Waits while another runner makes progress: its current file's end, then a pause,
 * as long as the tracking rows keep growing. Then reads them all into `doneElsewhere`.
 * The pause aims at half the time the leader needs for the `left` files still to
 * do, at the pace it has kept: few looks while much is left, a short wait at the end.
 */
async function follow(db: Database, schema: string, doneElsewhere: Set<string>, left: number, signal: AbortSignal | undefined): Promise<void> {
  const count = countAllSql(schema);
  let first: { n: number; at: number } | null = null;
  let last: number | null = null;
  while (!signal?.aborted) {
    const [row] = await db.transaction(async (_tx, rows) => rows, { lock: 'shared', prelude: count });
    const n = Number(row?.n ?? 0);
    const at = performance.now();
    if (last !== null && n === last) break;
    last = n;
    first ??= { n, at };
    const done = n - first.n;
    const pace = done > 0 ? (at - first.at) / done : FOLLOW_PAUSE_MS.min;
    const pause = Math.min(FOLLOW_PAUSE_MS.max, Math.max(FOLLOW_PAUSE_MS.min, (pace * Math.max(left - done, 0)) / 2));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  for (const row of trackedRowsOf(await db.query(readAllSql(schema)))) doneElsewhere.add(rowKey(row));
}

/** A lock timeout with attempts left: pause, then try the file again. */
type LockRetry = { retryInMs: number };
type Step = 'applied' | 'busy' | 'done-elsewhere' | LockRetry | MigrationFailedError;

/** The limits of a file's transaction, its lock timeouts so far (appended to here) and its observer. */
interface Attempt extends FileState {
  limits: Limits;
}

/** Applies one pending file and its tracking row in one transaction, under the lock taken as `lock` says. */
async function applyOne(
  db: Database,
  schema: string,
  item: PlannedMigration,
  lock: 'exclusive' | 'try',
  attempt: Attempt,
  emit: EventSink,
  outcomes: Outcomes,
  runOrder: readonly PlannedMigration[],
): Promise<Step> {
  // The session's defaults, restored inside the file's transaction before the file and
  // after it: a file neither sees what an earlier one SET nor leaves anything for the
  // next file or, through a transaction pooler, the next client. A file rolled back
  // changes nothing, its SETs and these resets alike.
  const defaults = db.sessionDefaultsSql;
  // What the server receives: the file without a BOM (PostgreSQL rejects one); line endings kept.
  const text = stripBom(item.file.content);
  const started = performance.now();
  let sqlError: DatabaseError | null = null;
  let step: Step = 'applied';
  let blocker: LockBlocker | null = null;
  // When the file's script was sent, and when its error came back: the wait of a lock timeout.
  let fileStarted = started;
  let fileFailed = started;
  try {
    await db.transaction(
      async (tx, recorded, locked) => {
        if (!locked) return void (step = 'busy');
        // Read under the lock (the prelude): another runner may have applied it meanwhile.
        if (recorded.length > 0) return void (step = 'done-elsewhere');
        emit({ type: 'file:start', item });
        fileStarted = performance.now();
        const watch = attempt.observer.watch(attempt.limits.lockTimeoutMs);
        try {
          // The tracking row and COMMIT travel in the same script: one round trip, one
          // transaction (a failing statement makes the server skip the rest, COMMIT too).
          // The newline and semicolon close a last statement or line comment left open.
          // The file comes first, so the server's error positions are positions in it.
          await tx.execAndCommit(`${text}\n;\n${defaults};\n${recordAppliedSql(schema, item.file, item.tokenChecksum)}`);
        } catch (error) {
          fileFailed = performance.now();
          if (error instanceof DatabaseError) sqlError = error;
          throw error;
        } finally {
          blocker = await watch.stop();
        }
      },
      // The limits come after the lock (its wait is never cut by lock_timeout) and after
      // the reset to the session's defaults; a SET of the file's own still overrides them.
      { lock, prelude: `${defaults};\n${limitsSql(attempt.limits)};\n${recordedCheckSql(schema, item.file)}` },
    );
  } catch (error) {
    const durationMs = performance.now() - started;
    if (!sqlError) throw error;
    const failure: DatabaseError = sqlError;
    if (failure.pg.sqlstate === LOCK_NOT_AVAILABLE) {
      const { limits, lockWaits } = attempt;
      const last = lockWaits.length >= limits.lockRetries;
      const wait: LockWait = {
        attempt: lockWaits.length + 1,
        attempts: limits.lockRetries + 1,
        waitedMs: Math.round(fileFailed - fileStarted),
        lockTimeoutMs: limits.lockTimeoutMs,
        blocker,
        retryInMs: last ? null : retryPauseMs(lockWaits.length + 1, limits.lockTimeoutMs, Math.random()),
      };
      lockWaits.push(wait);
      emit({ type: 'file:lock-timeout', item, ...wait });
      if (wait.retryInMs !== null) return { retryInMs: wait.retryInMs };
    }
    return failed(db, schema, item, text, failure, durationMs, attempt, emit, outcomes, runOrder);
  }
  if (step === 'applied') {
    const durationMs = performance.now() - started;
    outcomes.set(item, { status: 'applied', durationMs, ...(attempt.lockWaits.length > 0 ? { lockWaits: [...attempt.lockWaits] } : {}) });
    emit({ type: 'file:done', item, durationMs });
  }
  return step;
}

/** The failure of `item`, located in its text, reported and recorded in `outcomes`. */
async function failed(
  db: Database,
  schema: string,
  item: PlannedMigration,
  text: string,
  error: DatabaseError,
  durationMs: number,
  { limits, lockWaits }: Attempt,
  emit: EventSink,
  outcomes: Outcomes,
  runOrder: readonly PlannedMigration[],
): Promise<MigrationFailedError> {
  // From what the server said (nothing is run again), and the corpus for the hint.
  // Loaded on a failure only: a run that succeeds never needs the parser-backed explanation.
  const { explainFailure } = await import('./locate-failure.js');
  const { location, hint } = await explainFailure(
    text,
    error,
    item.file,
    runOrder.map((i) => i.file),
  ).catch(() => ({ location: null, hint: null }));
  // Said only when true: a writer that does not take the lock may have recorded it meanwhile.
  const recorded = await db.query(recordedCheckSql(schema, item.file)).then(
    (rows) => rows.length > 0,
    () => null,
  );
  const failure = new MigrationFailedError({
    file: item.file.path,
    line: location?.line ?? null,
    column: location?.column ?? null,
    sourceLine: location?.text ?? null,
    pg: error.pg,
    recorded,
    hint,
    cause: error,
    ...limitHint(error.pg.sqlstate, limits, lockWaits),
  });
  outcomes.set(item, { status: 'failed', durationMs, ...(lockWaits.length > 0 ? { lockWaits: [...lockWaits] } : {}) });
  emit({ type: 'file:error', item, error: failure, durationMs });
  return failure;
}

