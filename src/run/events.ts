// The one event stream a run emits. The human reporter and the JSON reporter
// both read it; the runner itself never prints.
import type { Discovery } from '../discover/project.js';
import type { Plan, PlannedMigration, Problem } from '../core/plan.js';
import type { MigrateError } from '../core/errors.js';
import type { LockBlocker } from './lock-watch.js';

/**
 * One attempt of a file that ended because a lock was not granted in time
 * (SQLSTATE 55P03: lock_timeout, or a NOWAIT of the file's): rolled back whole.
 */
export interface LockWait {
  /** 1-based attempt of this file in this run. */
  attempt: number;
  /** Attempts allowed in all (retries + 1). */
  attempts: number;
  /** How long the attempt ran before the server gave up waiting. */
  waitedMs: number;
  /** The lock_timeout of the attempt, in ms (0: none of ours; the file's own timeout or NOWAIT fired). */
  lockTimeoutMs: number;
  /** Who held the lock, as last seen while the file waited; null when not seen (PGlite, a short wait, no permission). */
  blocker: LockBlocker | null;
  /** The pause before the next attempt; null after the last one. */
  retryInMs: number | null;
}

export type Command = 'migrate' | 'status';

export type RunEvent =
  | {
      type: 'start';
      command: Command;
      /** Where, password redacted; and which setting named it (`DATABASE_URL`, `default`, `option`…). */
      database: string;
      databaseOrigin: string;
      embeddedDir: string | null;
      /** Where the core tier was read from (relative to the root), why, and how many files it holds. */
      core: { dir: string; origin: string; files: number; unusedRootFolder: { dir: string; files: number } | null };
      dryRun: boolean;
    }
  /** A connection attempt failed and, under `--wait`, will be retried after `nextInMs`. */
  | { type: 'connect:retry'; attempt: number; error: ErrorReport; nextInMs: number; remainingMs: number }
  | { type: 'connected'; database: string }
  | { type: 'tracking-upgraded'; notes: string[] }
  /** The database now carries the production marker (sample data never runs on it unless forced). */
  | { type: 'production-marked'; database: string; reason: string }
  | { type: 'plan'; discovery: Discovery; plan: Plan; sampleData: boolean }
  | { type: 'problem'; problem: Problem }
  /** About to take the migration lock for this file (file:start follows once it is held). */
  | { type: 'file:lock-wait'; item: PlannedMigration }
  | { type: 'file:start'; item: PlannedMigration }
  | { type: 'file:done'; item: PlannedMigration; durationMs: number }
  /** Applied before this run (or, `byOtherRunner`, by a concurrent runner while we waited). */
  | { type: 'file:skip'; item: PlannedMigration; byOtherRunner: boolean }
  | { type: 'file:sample-data-skipped'; item: PlannedMigration }
  | { type: 'file:would-run'; item: PlannedMigration }
  | { type: 'file:error'; item: PlannedMigration; error: MigrateError; durationMs: number }
  /** `migrate --backup`: a backup of the whole database is being written, before anything is applied. */
  | { type: 'backup:start'; path: string; method: BackupMethod }
  | { type: 'backup:done'; backup: BackupInfo }
  /** `migrate --backup` with nothing pending: no backup was taken. */
  | { type: 'backup:skipped'; reason: string }
  /** An attempt timed out waiting for a lock and was rolled back; file:retry follows unless it was the last. */
  | ({ type: 'file:lock-timeout'; item: PlannedMigration } & LockWait)
  /** The pause after a lock timeout is over: the file is tried again (file:lock-wait, file:start… follow). */
  | { type: 'file:retry'; item: PlannedMigration; attempt: number; attempts: number }
  /**
   * Something a no-transaction file's run did besides its statements: an INVALID
   * index its CREATE INDEX CONCURRENTLY left behind on an earlier try, dropped so
   * the statement builds it again; a claim of a runner that stopped answering, taken over.
   */
  | { type: 'file:note'; item: PlannedMigration; kind: 'invalid-index-dropped' | 'claim-taken-over'; message: string }
  | { type: 'done'; result: RunResult };

/** How a backup is made: pg_dump's custom format (a server), PGlite's dump of its data directory (embedded). */
export type BackupMethod = 'pg_dump' | 'pglite';

/** A backup written by `migrate --backup` (the `backup` object of `--json`). */
export interface BackupInfo {
  /** Absolute path of the file. */
  path: string;
  method: BackupMethod;
  bytes: number;
  durationMs: number;
  /** The command that puts the database back as it is in this file. */
  restoreCommand: string;
}

export type MigrationStatus = 'applied' | 'skipped' | 'pending' | 'failed' | 'sample-data-skipped' | 'modified' | 'missing' | 'inactive';

/** One line of the `migrations` array of `--json` (a documented contract). */
export interface MigrationOutcome {
  tier: string;
  source: string | null;
  entity: string | null;
  filename: string;
  /** Relative path of the file; null for a tracking row whose file is not on disk. */
  path: string | null;
  /** A human name: the path, or for a row without a file the row's identity. */
  label: string;
  status: MigrationStatus;
  /** This run's time for the file; for `status`, the time recorded when it was applied. */
  durationMs: number | null;
  /** When it was applied (`executed_at` of its tracking row, read before the run); null when not applied before this run. */
  appliedAt: string | null;
  /** Attempts of this run that timed out waiting for a lock; absent when there was none. */
  lockWaits?: LockWait[];
  /** What the run did besides the file's statements (file:note events), when anything. */
  notes?: string[];
}

export interface ErrorReport {
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  sqlstate: string | null;
  detail?: string | null;
  hint?: string | null;
  /** For a failed file: what to do about it, computed from the corpus (PostgreSQL's own hint is `hint`). */
  fix?: string | null;
  sourceLine?: string | null;
  /** For a failed file: whether a tracking row for it exists after the rollback (null: unknown). */
  recorded?: boolean | null;
  /** Present, false, when the failed file ran outside a transaction: its earlier statements stay applied. */
  rolledBack?: false;
}

export interface RunResult {
  ok: boolean;
  command: Command;
  /** Where, password redacted; null when the run stopped before a database was chosen. */
  database: string | null;
  migrations: MigrationOutcome[];
  problems: Problem[];
  error: ErrorReport | null;
  /** Present (true) when the database carries the production marker. */
  productionDatabase?: boolean;
}

export type EventSink = (event: RunEvent) => void;
