// `verify` as a library function: the team's checklist over every migration of
// the project, and (when a database is given) the database against the files.
import { verifyProject, liveTarget } from '../verify/run.js';
import { buildReport, type VerifyReport } from '../verify/report.js';
import { MigrateError } from '../core/errors.js';
import type { ShadowChecks } from '../verify/shadow/run.js';
import { errorReport } from '../run/result.js';
import { resolveConfig, API_OPTION_NAMES, type ProjectOptions, type ResolvedConfig } from './config.js';

export interface VerifyOptions extends ProjectOptions {
  /** Check every theme and every plugin no theme lists, not only the active setup. */
  all?: boolean;
  /** Warnings make `ok` false too. */
  strict?: boolean;
  /** Static checks only, even when a database is configured. */
  noDatabase?: boolean;
  /** Whether sample-data files count as pending (as for `migrate`). */
  sampleData?: boolean;
  /** Apply every active migration through the engine to a new in-memory PGlite; the first failure is a finding. */
  fresh?: boolean;
  /** On that shadow, run each file a second time right after it is applied: it must neither fail nor change anything. */
  idempotency?: boolean;
  /** On that shadow, prove as the app's roles that no user reaches another's rows. */
  isolation?: boolean;
  /** Compare the database's catalog (tables, columns, constraints, indexes, policies, triggers, functions, grants) with what the files build on a shadow. */
  drift?: boolean;
  /** Rehearse the next migrate on a shadow: what the database applied, replayed, then the pending files through the engine. */
  pending?: boolean;
}

/**
 * Runs the checks and resolves to the report (the `--json` document). A
 * configuration error (unknown theme, bad URL, unreadable config) gives a report
 * with `ok: false` and `error`; only a bug rejects. The live checks run only when
 * a database is named (`database`, or the environment with `env`): the embedded
 * default is never created by verifying.
 */
export async function verify(options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  let config: ResolvedConfig;
  try {
    config = resolveConfig(options, API_OPTION_NAMES);
  } catch (error) {
    return failedReport(error, started);
  }
  return verifyResolved(config, options);
}

/** The one path both the API and the command line take once the configuration is known. */
export async function verifyResolved(config: ResolvedConfig, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  try {
    return await verifyProject({
      project: config.project,
      all: options.all ?? false,
      strict: options.strict ?? false,
      target: options.noDatabase ? { skipped: '--no-db' } : liveTarget(config.target),
      sampleData: options.sampleData ?? config.env.NODE_ENV !== 'production',
      shadow: shadowChecks(options),
      drift: options.drift ?? false,
      pending: options.pending ?? false,
    });
  } catch (error) {
    return failedReport(error, started);
  }
}

/** The shadow checks asked for (idempotency and isolation need the fresh run too), or null. */
function shadowChecks(options: VerifyOptions): ShadowChecks | null {
  const idempotency = options.idempotency ?? false;
  const isolation = options.isolation ?? false;
  if (!options.fresh && !idempotency && !isolation) return null;
  return { fresh: true, idempotency, isolation };
}

function failedReport(error: unknown, started: number): VerifyReport {
  if (!(error instanceof MigrateError)) throw error;
  const empty = { findings: [], setups: [], checked: 0, database: null, databaseSkipped: null, shadow: null, drift: null, rehearsal: null, isolation: null, suppressed: [], unusedDirectives: [] };
  return { ...buildReport({ ...empty, durationMs: performance.now() - started }, false), ok: false, error: errorReport(error) };
}
