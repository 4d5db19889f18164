// The public API of tiered-migrate: `import { migrate, status, verify } from 'tiered-migrate'`.
// Each function takes one options object and resolves to the same document
// `--json` prints. Nothing is printed and `process` is never touched; the
// environment and `.env` files are read only with `env: true`.
export { migrate, status } from './api/migrate.js';
export type { MigrateOptions, StatusOptions } from './api/migrate.js';
export { verify } from './api/verify.js';
export type { VerifyOptions } from './api/verify.js';
export type { ProjectOptions, LimitOptions } from './api/config.js';
export type { LockWait } from './run/events.js';
export type { LockBlocker, LockHolder } from './run/lock-watch.js';
export { initApp as init } from './scaffold/init.js';
export type { InitOptions, InitResult } from './scaffold/init.js';

export type { RunResult, RunEvent, MigrationOutcome, MigrationStatus, ErrorReport, Command } from './run/events.js';
export type { BackupInfo, BackupMethod } from './run/events.js';
export type { Problem, ProblemCode, Severity } from './core/plan.js';
export type { VerifyReport, DatabaseSummary } from './verify/report.js';
export type { Finding } from './verify/types.js';

export { MigrateError, DatabaseError, MigrationFailedError, exitCodeFor } from './core/errors.js';
export type { ErrorCode, PostgresErrorFields } from './core/errors.js';
