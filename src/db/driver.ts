// The one database interface both adapters implement. Callback transactions
// only: PGlite has no other kind, and a callback cannot leak an open transaction.

export interface Queryable {
  /** One statement with `$n` parameters (extended protocol); returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * A script of any number of statements, sent as-is (simple protocol); no parameters.
   * A failure is a DatabaseError whose `completedStatements` counts the statements that
   * finished before it (null where the adapter cannot count, e.g. PGlite outside a transaction).
   */
  exec(script: string): Promise<void>;
}

/**
 * The migration lock a transaction takes, right after BEGIN (transaction-scoped: it
 * survives transaction pooling). `exclusive`: serialise with every other runner on
 * this database, waiting for the lock. `try`: the same, but only if the lock is
 * free at once (the body learns whether it got it). `shared`: wait until no runner
 * holds it exclusively, without stopping one that asks next; to wait for the end
 * of another runner's file.
 */
export type LockMode = 'exclusive' | 'try' | 'shared';

export interface TransactionOptions {
  lock?: LockMode;
  /**
   * A read-only statement sent in the same round trip as BEGIN (and the lock), after
   * them: in READ COMMITTED it sees everything committed before the lock was granted.
   * Its rows are passed to the callback. Saves a round trip per migration file.
   */
  prelude?: string;
}

export type Row = Record<string, unknown>;

/** What a transaction's body runs its statements on. */
export interface TransactionQueryable extends Queryable {
  /**
   * Runs `script` and commits, in one round trip: the body's last call. When the
   * script fails, the server skips the COMMIT and the transaction rolls back whole.
   */
  execAndCommit(script: string): Promise<void>;
}

/**
 * A transaction's body. `rows` are the prelude's rows; `locked` is false only when
 * a `try` found the lock taken (the prelude then ran without it). Throwing rolls
 * the transaction back; returning commits it.
 */
export type TransactionBody<T> = (tx: TransactionQueryable, rows: Row[], locked: boolean) => Promise<T>;

/** A connection of Database.openObserver: read-only queries, then close(). */
export interface Observer extends Queryable {
  close(): Promise<void>;
}

export interface Database extends Queryable {
  /** Where this database is, safe to print (password redacted). */
  readonly display: string;
  /**
   * Statements that put the session back to its defaults (those of the connection,
   * the role and the database): settings, and the role and session authorization,
   * which `RESET ALL` leaves alone. Transactional: inside a transaction that rolls
   * back, they change nothing.
   */
  readonly sessionDefaultsSql: string;
  /**
   * Runs `fn` in one transaction at READ COMMITTED whatever the database's default
   * (the re-reads under the lock need a fresh snapshot per statement).
   */
  transaction<T>(fn: TransactionBody<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Asks the server to stop the statement running now (a protocol cancel request,
   * which poolers forward); the statement then fails and its transaction rolls back.
   */
  cancel(): Promise<void>;
  /**
   * A second connection to the same server, short-lived, to look at this one from
   * outside while it waits (who holds the lock a file waits for); the caller closes
   * it. Absent where there is no second connection: PGlite is one, in-process.
   */
  openObserver?(): Promise<Observer>;
  /** Ends the connection, unless the caller owns it (then this is a no-op). */
  close(): Promise<void>;
  /** The embedded database only: its data directory as a gzipped tarball (PGlite's own dump), for `migrate --backup`. */
  dumpDataDir?(): Promise<Blob>;
  /**
   * Opens a second connection to the same target, closed by its caller: for work
   * that must go on while this connection is busy in a long statement (the claim
   * heartbeat of a no-transaction file). Absent where there is no such target
   * (an embedded database, a caller's client whose parameters are unknown).
   */
  openSibling?(): Promise<Database>;
  /**
   * True when no other runner can reach this database while it is open (PGlite:
   * one process, under a folder lock): what another runner left behind is from a
   * runner that is gone.
   */
  readonly soleRunner?: boolean;
}

/**
 * Key of the transaction-scoped advisory lock every runner takes before it applies
 * a file or changes the tracking tables. Persisted behaviour shared by all versions
 * of this tool running against one database: never change.
 */
export const MIGRATION_LOCK_KEY = 7_391_604_225_118_320n;
