// Lock timeouts of migration files, in words: who was in the way, and what the
// run did about it. Shared by the final error's hint and the human reporter.
import { formatDuration, type Limits } from '../core/limits.js';
import type { LockWait } from './events.js';
import type { LockBlocker, LockHolder } from './lock-watch.js';

/** SQLSTATE lock_not_available: lock_timeout expired, or a NOWAIT found the lock taken. */
export const LOCK_NOT_AVAILABLE = '55P03';

/** A duration for people: `850 ms`, `3.2 s`, `4 min 10 s`. */
function humanMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** `pid 4242 (psql, user app, idle in transaction, transaction open 12.3 s): LOCK TABLE t …` */
export function describeHolder(holder: LockHolder): string {
  const facts = [
    holder.applicationName ? holder.applicationName : null,
    holder.user ? `user ${holder.user}` : null,
    holder.state,
    holder.transactionMs !== null ? `transaction open ${humanMs(holder.transactionMs)}` : null,
  ].filter((f): f is string => f !== null && f !== '');
  // pg_stat_activity shows no state or query of another role's session to a role without pg_read_all_stats.
  const hidden = holder.state === null && holder.query === null;
  const what = facts.length > 0 ? ` (${facts.join(', ')})` : hidden ? ' (its details are hidden from this role: pg_read_all_stats shows them)' : '';
  const query = holder.query ? `: ${holder.query.length > 120 ? `${holder.query.slice(0, 119)}…` : holder.query}` : '';
  return `pid ${holder.pid}${what}${query}`;
}

/** `table public.t (relation AccessExclusiveLock), held by pid 4242 (…)`; or that no holder was seen. */
export function describeBlocker(blocker: LockBlocker | null): string {
  if (!blocker) return 'the session holding the lock was not seen (it is looked for after the first moments of a wait, on a server, where the role can see it)';
  const what = blocker.table ? `table ${blocker.table}` : 'a lock';
  const holders = blocker.holders.map(describeHolder);
  const by = holders.length === 0 ? 'no holder left when looked at' : `held by ${holders.join('; and ')}`;
  return `${what} (${blocker.lock}), ${by}`;
}

/** The last holder seen in any attempt, from the latest attempt back. */
function lastSeen(waits: readonly LockWait[]): LockBlocker | null {
  for (let i = waits.length - 1; i >= 0; i--) if (waits[i]!.blocker) return waits[i]!.blocker;
  return null;
}

/** The hint of a file given up after its last lock timeout: who was in the way, and that a re-run is safe. */
export function lockTimeoutHint(waits: readonly LockWait[]): string {
  const last = waits.at(-1)!;
  const total = waits.reduce((sum, w) => sum + w.waitedMs + (w.retryInMs ?? 0), 0);
  const timeout = last.lockTimeoutMs > 0 ? `lock_timeout ${formatDuration(last.lockTimeoutMs)}` : 'the file’s own lock_timeout or NOWAIT';
  return (
    `${timeout} expired on each of ${waits.length} attempt(s) over ${humanMs(total)}; each was rolled back: the file is neither applied nor recorded, ` +
    'and running again is safe. End or wait out the session in the way, or allow longer waits with --lock-timeout / --lock-retries ' +
    `(MIGRATE_LOCK_TIMEOUT / MIGRATE_LOCK_RETRIES). It waited for ${describeBlocker(lastSeen(waits))}`
  );
}

/**
 * The tool's hint for a file stopped by one of its limits: its lock timeouts, or a
 * statement cancelled while a statement_timeout was set (a cancel of the run's own
 * is reported as the run's stop instead).
 */
export function limitHint(sqlstate: string | null, limits: Limits, lockWaits: readonly LockWait[]): { hint?: string } {
  if (sqlstate === LOCK_NOT_AVAILABLE && lockWaits.length > 0) return { hint: lockTimeoutHint(lockWaits) };
  if (sqlstate === QUERY_CANCELED && limits.statementTimeoutMs > 0) {
    return {
      hint:
        `statement_timeout ${formatDuration(limits.statementTimeoutMs)} (--statement-timeout / MIGRATE_STATEMENT_TIMEOUT) stops any statement that runs longer; ` +
        'the file was rolled back, not recorded and not run again. Raise it, or 0 for none, for a slow data migration.',
    };
  }
  return {};
}

/** SQLSTATE query_canceled: statement_timeout, or a cancel request. */
const QUERY_CANCELED = '57014';

/** Sleeps `ms` unless `signal` aborts first; false when it did. */
export function pauseUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
