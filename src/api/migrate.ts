// `migrate` and `status` as library functions: options in, the typed result out
// (the same document `--json` prints). Nothing is printed, `process` is never
// touched; events reach `onEvent` when the caller wants them.
import { run } from '../run/migrate.js';
import { buildResult } from '../run/result.js';
import type { Command, RunEvent, RunResult } from '../run/events.js';
import { MigrateError } from '../core/errors.js';
import { resolveConfig, sampleDataWanted, type OptionNames, type ProjectOptions, type ResolvedConfig, API_OPTION_NAMES } from './config.js';
import { limitsWanted, type LimitOptions } from './config.js';
import type { Discovery } from '../discover/project.js';

export interface StatusOptions extends ProjectOptions {
  /** Tracked files missing from disk are warnings instead of errors. */
  allowMissing?: boolean;
  /**
   * Run `*sample_data*` files. Default: with `env`, unless NODE_ENV=production; without
   * `env`, false. Never on a database marked as production, unless `true` is passed.
   */
  sampleData?: boolean;
  /** Every event of the run, in order (the same stream the command line prints). */
  onEvent?: (event: RunEvent) => void;
}

export interface MigrateOptions extends StatusOptions, LimitOptions {
  /** Out-of-order pending files are errors instead of warnings. */
  strictOrder?: boolean;
  /** Plan only: report what would run, execute nothing. */
  dryRun?: boolean;
  /**
   * Cancels the run: the running statement is cancelled on the server, its file
   * rolls back with its tracking row, no further file starts; the result's error
   * has code `ABORTED`.
   */
  signal?: AbortSignal;
  /**
   * Before anything is applied (and only when something is pending), back the whole
   * database up: `true` into `<root>/.tiered-migrate/backups/`, or `{ path }`.
   * `inRepo` allows a path git would see. PG_DUMP is read from `env`.
   */
  backup?: boolean | { path?: string; inRepo?: boolean };
}

/** Applies every pending migration of the project; resolves to the run's result (never rejects for a failed migration). */
export function migrate(options: MigrateOptions = {}): Promise<RunResult> {
  return runCommand('migrate', options, API_OPTION_NAMES);
}

/** Reads applied, pending, modified, missing and inactive migrations; changes nothing. */
export function status(options: StatusOptions = {}): Promise<RunResult> {
  return runCommand('status', options, API_OPTION_NAMES);
}

/**
 * Resolves the options, then runs. Configuration errors (bad URL, unknown
 * theme…) come back as a failed result, like every error the tool raises on
 * purpose; only a bug rejects.
 */
export async function runCommand(command: Command, options: MigrateOptions, names: OptionNames): Promise<RunResult> {
  let config: ResolvedConfig;
  try {
    config = resolveConfig(options, names);
  } catch (error) {
    return failedBeforeStart(command, error, options.onEvent);
  }
  return runResolved(command, config, options);
}

/** The one path both the API and the command line take once the configuration is known. */
export async function runResolved(command: Command, config: ResolvedConfig, options: MigrateOptions, fleet: { discovery?: Discovery; schema?: string } = {}): Promise<RunResult> {
  // Messages are scrubbed of passwords where they are made (the adapters, the URL checks).
  const emit = options.onEvent ?? (() => undefined);
  try {
    // Only a run that applies files takes limits: a bad value stops it before it connects.
    const limits = command === 'migrate' ? limitsWanted(options, config) : undefined;
    return await run(
      {
        command,
        project: config.project,
        target: config.target,
        sampleData: sampleDataWanted(options.sampleData, config, Boolean(options.env)),
        sampleDataForced: options.sampleData === true,
        productionEnv: Boolean(options.env) && config.env.NODE_ENV === 'production',
        strictOrder: options.strictOrder ?? false,
        allowMissing: options.allowMissing ?? false,
        dryRun: options.dryRun ?? false,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.backup
          ? { backup: { path: typeof options.backup === 'object' ? (options.backup.path ?? null) : null, inRepo: typeof options.backup === 'object' && Boolean(options.backup.inRepo), env: config.env } }
          : {}),
        ...(limits ? { limits } : {}),
        ...(fleet.discovery ? { discovery: fleet.discovery } : {}),
        ...(fleet.schema !== undefined ? { schema: fleet.schema } : {}),
      },
      emit,
    );
  } catch (error) {
    return failedBeforeStart(command, error, options.onEvent);
  }
}

function failedBeforeStart(command: Command, error: unknown, onEvent: ((event: RunEvent) => void) | undefined): RunResult {
  if (!(error instanceof MigrateError)) throw error;
  const result = buildResult({ command, database: null }, null, new Map(), error);
  onEvent?.({ type: 'done', result });
  return result;
}
