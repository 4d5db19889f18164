// The one database interface both adapters implement. Callback transactions
// only: PGlite has no other kind, and a callback cannot leak an open transaction.

export interface Queryable {
  /** One statement with `$n` parameters (extended protocol); returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of any number of statements, sent as-is (simple protocol); no parameters. */
  exec(script: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Serialise with every other migration runner on this database for the length of
   * the transaction (a transaction-scoped lock: it survives transaction pooling).
   */
  exclusive?: boolean;
  /**
   * A read-only statement sent in the same round trip as BEGIN (and the lock), after
   * them: in READ COMMITTED it sees everything committed before the lock was granted.
   * Its rows are passed to the callback. Saves a round trip per migration file.
   */
  prelude?: string;
}

export type Row = Record<string, unknown>;

/**
 * A transaction's body. `rows` are the prelude's rows. Throwing rolls the
 * transaction back; returning commits it.
 */
export type TransactionBody<T> = (tx: Queryable, rows: Row[]) => Promise<T>;

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
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
  close(): Promise<void>;
}

/**
 * Key of the transaction-scoped advisory lock every runner takes before it applies
 * a file or changes the tracking tables. Persisted behaviour shared by all versions
 * of this tool running against one database: never change.
 */
export const MIGRATION_LOCK_KEY = 7_391_604_225_118_320n;
