// Who holds the lock a migration file waits for. The error a lock_timeout raises
// names neither the table nor the session in the way, and once it is raised the
// wait is over and pg_blocking_pids has nothing left to say: so while a file runs
// longer than a moment, a second short-lived connection looks at the runner's
// session from outside, and the last sighting is what a lock timeout reports.
import type { Database, Observer } from '../db/driver.js';
import { MIGRATION_LOCK_KEY } from '../db/driver.js';

/** A session that holds (or queues ahead for) the lock a file waits for. */
export interface LockHolder {
  pid: number;
  /** null where pg_stat_activity hides it from this role (another role's session without pg_read_all_stats). */
  applicationName: string | null;
  user: string | null;
  /** `active`, `idle in transaction`… */
  state: string | null;
  /** How long its transaction has been open. */
  transactionMs: number | null;
  /** The start of its current (or, when idle, last) query. */
  query: string | null;
}

/** What a migration file waited for, and who stood in the way. */
export interface LockBlocker {
  /** The server process of the runner's transaction (the one that waited). */
  waitingPid: number;
  /** The table (schema-qualified when not on the search path); null for a lock on no table (a row's transaction). */
  table: string | null;
  /** `relation AccessExclusiveLock`, `transactionid ShareLock`… */
  lock: string;
  holders: LockHolder[];
}

/** The first look comes this long after the file started (sooner for a shorter lock_timeout)… */
const FIRST_LOOK_MS = 1000;
/** How long stop() waits for a look under way. */
const LAST_LOOK_GRACE_MS = 100;
/** How much of the query text a report carries. */
const QUERY_PREFIX = 200;

const KEY_HIGH = Number(MIGRATION_LOCK_KEY >> 32n);
const KEY_LOW = Number(MIGRATION_LOCK_KEY & 0xffff_ffffn);

/**
 * The runner's session is the one holding the migration lock exclusively on this
 * database (only one can): found so, it needs no round trip of its own, and through
 * a transaction pooler it is the server connection that runs the transaction.
 * pg_locks and pg_blocking_pids are open to every role; pg_stat_activity shows
 * another role's query and state only to superusers and pg_read_all_stats.
 */
const BLOCKERS_SQL = `WITH runner AS (
  SELECT l.pid FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.objsubid = 1
    AND l.classid::bigint = $1 AND l.objid::bigint = $2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
), wanted AS (
  SELECT w.pid, w.locktype || ' ' || w.mode AS lock,
    CASE WHEN w.relation IS NOT NULL AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database()) THEN w.relation::regclass::text END AS relation
  FROM pg_locks w JOIN runner r ON r.pid = w.pid WHERE NOT w.granted LIMIT 1
)
SELECT wanted.pid AS waiting_pid, wanted.lock, wanted.relation, b.pid AS holder_pid,
  a.application_name, a.usename::text AS usename, a.state,
  (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint AS transaction_ms,
  left(a.query, ${QUERY_PREFIX}) AS query
FROM wanted CROSS JOIN LATERAL unnest(pg_blocking_pids(wanted.pid)) AS b(pid)
LEFT JOIN pg_stat_activity a ON a.pid = b.pid
ORDER BY a.xact_start NULLS LAST`;

interface BlockerRow {
  waiting_pid: number;
  lock: string;
  relation: string | null;
  holder_pid: number;
  application_name: string | null;
  usename: string | null;
  state: string | null;
  transaction_ms: string | number | null;
  query: string | null;
}

/** Rows of BLOCKERS_SQL as one report; null when the runner was not waiting. */
export function blockerOf(rows: readonly BlockerRow[]): LockBlocker | null {
  const first = rows[0];
  if (!first) return null;
  return {
    waitingPid: Number(first.waiting_pid),
    table: first.relation,
    lock: first.lock,
    holders: rows.map((r) => ({
      pid: Number(r.holder_pid),
      applicationName: r.application_name,
      user: r.usename,
      state: r.state,
      transactionMs: r.transaction_ms === null ? null : Number(r.transaction_ms),
      query: r.query === null ? null : r.query.replace(/\s+/g, ' ').trim(),
    })),
  };
}

export interface LockWatch {
  /** Ends the watch; resolves to the last time the file was seen waiting, if it was. */
  stop(): Promise<LockBlocker | null>;
}

/** The second connection of one file's attempts: opened at the first look, kept across its retries. */
export interface LockObserver {
  /** Watches one attempt. */
  watch(lockTimeoutMs: number): LockWatch;
  /** Closes the connection, if one was opened, once a look under way has ended. */
  close(): void;
}

/**
 * Watches the runner's session while a file runs: a first look after a second (or
 * half the lock timeout, when shorter, so a wait is seen before it ends), then at
 * that pace until stop(). The connection opens only at the first look: a file that
 * ends sooner costs nothing; a file retried after a lock timeout keeps it, so the
 * next attempt's look is quick. Looking is best-effort; a failure is no sighting
 * (and, for a connection that could not be opened, no more looks for this file).
 * Without a second connection (PGlite) there is nothing to watch.
 */
export function lockObserver(db: Database): LockObserver {
  const openObserver = db.openObserver?.bind(db);
  let connection: Promise<Observer> | null = null;
  let looking: Promise<void> = Promise.resolve();
  return {
    watch(lockTimeoutMs) {
      if (!openObserver) return { stop: async () => null };
      const pace = lockTimeoutMs > 0 ? Math.min(FIRST_LOOK_MS, Math.max(lockTimeoutMs / 2, 10)) : FIRST_LOOK_MS;
      let last: LockBlocker | null = null;
      let stopped = false;
      let timer: NodeJS.Timeout | null = null;
      const look = async () => {
        try {
          connection ??= openObserver();
          const seen = blockerOf(await (await connection).query<BlockerRow>(BLOCKERS_SQL, [KEY_HIGH, KEY_LOW]));
          if (seen) last = seen;
        } catch {
          // No sighting: the report says the holder is unknown.
        }
        if (!stopped) schedule();
      };
      const schedule = () => {
        timer = setTimeout(() => void (looking = look()), pace);
        timer.unref();
      };
      schedule();
      return {
        async stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
          // A look under way may bring the sighting: waited for briefly, never longer. Its
          // query may be queued behind this very transaction (a pooler with no free server
          // connection), which ends only once stop() returns.
          await Promise.race([looking, new Promise((resolve) => setTimeout(resolve, LAST_LOOK_GRACE_MS).unref())]);
          return last;
        },
      };
    },
    close() {
      const opened = connection;
      if (!opened) return;
      connection = null;
      void looking.then(async () => (await opened.catch(() => null))?.close());
    },
  };
}
