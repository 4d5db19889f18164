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

export interface Database extends Queryable {
  /** Where this database is, safe to print (password redacted). */
  readonly display: string;
  transaction<T>(fn: (tx: Queryable, preludeRows: Row[]) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Asks the server to stop the statement running now (a protocol cancel request,
   * which poolers forward); the statement then fails and its transaction rolls back.
   */
  cancel(): Promise<void>;
  /** Ends the connection, unless the caller owns it (then this is a no-op). */
  close(): Promise<void>;
}

/**
 * Key of the transaction-scoped advisory lock every runner takes before it applies
 * a file or changes the tracking tables. Persisted behaviour shared by all versions
 * of this tool running against one database: never change.
 */
export const MIGRATION_LOCK_KEY = 7_391_604_225_118_320n;
