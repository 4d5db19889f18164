// Typed errors. Every error the tool raises on purpose is a MigrateError with a
// documented `code`; the CLI maps `exitCode` to the process exit status.

/** Documented error codes (part of the `--json` contract: never rename). */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'THEME_NOT_FOUND'
  | 'PLUGIN_NOT_FOUND'
  | 'INVALID_NAME'
  | 'THEME_CONFIG'
  | 'CONNECTION'
  | 'CONNECTION_LOST'
  | 'VALIDATION'
  | 'MIGRATION_FAILED'
  | 'ABORTED'
  | 'DATABASE'
  /** `migrate --backup` could not write the backup (nothing was applied), or `restore` failed (nothing was changed). */
  | 'BACKUP_FAILED';

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class MigrateError extends Error {
  override readonly name: string = 'MigrateError';
  readonly code: ErrorCode;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  /** A sentence telling the user what to do about it. */
  readonly hint: string | null;

  constructor(code: ErrorCode, message: string, options: ErrorLocation & { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file ?? null;
    this.line = options.line ?? null;
    this.column = options.column ?? null;
    this.hint = options.hint ?? null;
  }

  get exitCode(): 1 | 2 {
    return exitCodeFor(this.code);
  }
}

/** Documented exit codes: 2 for usage and configuration errors, 1 for everything else. */
export function exitCodeFor(code: string): 1 | 2 {
  switch (code) {
    case 'USAGE':
    case 'CONFIG':
    case 'THEME_NOT_FOUND':
    case 'PLUGIN_NOT_FOUND':
    case 'INVALID_NAME':
    case 'THEME_CONFIG':
    case 'CONNECTION':
      return 2;
    default:
      return 1;
  }
}

/** What PostgreSQL said, copied off the driver's error (drivers differ; this does not). */
export interface PostgresErrorFields {
  message: string;
  sqlstate: string | null;
  detail: string | null;
  hint: string | null;
  /** 1-based character position in the query text, as PostgreSQL reports it. */
  position: number | null;
  /** PL/pgSQL context ("PL/pgSQL function … line N"). */
  where: string | null;
  internalPosition: number | null;
  internalQuery: string | null;
}

/** A statement failed on the server. Raised by the database adapters. */
export class DatabaseError extends MigrateError {
  override readonly name = 'DatabaseError';
  readonly pg: PostgresErrorFields;
  /**
   * For a script (simple protocol): how many of its statements the server reported
   * complete before the error, so statement number `completedStatements` (0-based)
   * is the one that failed. Null when the adapter cannot tell (a lone query).
   */
  readonly completedStatements: number | null;
  constructor(pgFields: PostgresErrorFields, cause?: unknown, completedStatements: number | null = null) {
    super('DATABASE', pgFields.message, { cause });
    this.pg = pgFields;
    this.completedStatements = completedStatements;
  }
}

/** A migration file failed: where in the file, and what PostgreSQL said. */
export class MigrationFailedError extends MigrateError {
  override readonly name = 'MigrationFailedError';
  readonly sqlstate: string | null;
  readonly detail: string | null;
  readonly pgHint: string | null;
  readonly where: string | null;
  /** The offending line of the file, as written. */
  readonly sourceLine: string | null;
  /**
   * Whether a tracking row for the file exists after the rollback (a writer that does
   * not take the migration lock may have made one); null when it could not be read.
   */
  readonly recorded: boolean | null;
  /** Whether the file's transaction was rolled back (false: a no-transaction file, partly applied). */
  readonly rolledBack: boolean;

  constructor(args: {
    file: string;
    line: number | null;
    column: number | null;
    sourceLine: string | null;
    pg: PostgresErrorFields;
    recorded?: boolean | null;
    /** What to do about it: computed from the corpus (src/run/hints.ts), the limits, or which statements of a no-transaction file stay applied. PostgreSQL's own hint is `pgHint`. */
    hint?: string | null;
    /** False for a no-transaction file: the statements before the failing one stay applied. */
    rolledBack?: boolean;
    cause?: unknown;
  }) {
    super('MIGRATION_FAILED', args.pg.message, {
      file: args.file,
      ...(args.hint ? { hint: args.hint } : {}),
      ...(args.line === null ? {} : { line: args.line }),
      ...(args.column === null ? {} : { column: args.column }),
      ...(args.hint ? { hint: args.hint } : {}),
      cause: args.cause,
    });
    this.sqlstate = args.pg.sqlstate;
    this.detail = args.pg.detail;
    this.pgHint = args.pg.hint;
    this.where = args.pg.where;
    this.sourceLine = args.sourceLine;
    this.recorded = args.recorded ?? null;
    this.rolledBack = args.rolledBack ?? true;
  }
}
