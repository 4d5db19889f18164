// What db:verify prints: findings grouped by file, then a one-line summary; or one
// JSON document. The JSON keys `ok`, `findings` (rule, severity, file, line,
// column, message, fix) and `summary` (errors, warnings, files) are a documented
// format read by CI: never rename them.
import type { Finding, SuppressedFinding } from './types.js';
import type { PendingGroup } from './live.js';
import type { Directive } from './suppress.js';
import type { ErrorReport } from '../run/events.js';
import { packageVersion } from '../discover/core-dir.js';
import type { ShadowSetupResult } from './shadow/run.js';
import type { IsolationReport } from './shadow/isolation-report.js';
import type { Difference } from './shadow/drift.js';
import type { RehearsalSummary } from './shadow/rehearsal-report.js';
import type { IsolationDiffSummary } from './shadow/isolation-report.js';

/** --drift: the database against what the files build. */
export interface DriftSummary {
  database: string;
  differences: Difference[];
}

/** What the shadow checks did, per setup (timings, the isolation matrix). */
export interface ShadowSummary {
  setups: (Omit<ShadowSetupResult, 'findings' | 'isolation'> & { isolation: Omit<IsolationReport, 'findings' | 'access'> | null })[];
}

/** The shape of the verify document (raised when a field is renamed or removed). */
export const VERIFY_SCHEMA_VERSION = 1;

export interface DatabaseSummary {
  /** Where, password redacted. */
  database: string;
  /** Why the tracking tables could not be read, or null. */
  trackingProblem: string | null;
  pending: PendingGroup[];
}

export interface VerifyReport {
  /** No errors (and, under --strict, no warnings). */
  ok: boolean;
  findings: Finding[];
  summary: {
    errors: number;
    warnings: number;
    /** Files with at least one finding. */
    files: number;
  };
  /** Setups checked, e.g. `theme default (plugins ai, billing)`. */
  setups: string[];
  /** Distinct files checked. */
  checked: number;
  /** Live checks, or null with the reason they did not run. */
  database: DatabaseSummary | null;
  databaseSkipped: string | null;
  /** The shadow checks (--fresh, --idempotency, --isolation), or null when none ran. */
  shadow: ShadowSummary | null;
  /** --drift, or null when not asked for. */
  drift: DriftSummary | null;
  /** --pending: the next migrate rehearsed on a shadow, or null. */
  rehearsal: RehearsalSummary | null;
  /** --isolation against a database with pending files: the accesses they widen, or null when not compared. */
  isolation: IsolationDiffSummary | null;
  suppressed: SuppressedFinding[];
  unusedDirectives: Directive[];
  durationMs: number;
  /** Why the check could not run (configuration), or null. */
  error: ErrorReport | null;
}

export function buildReport(args: Omit<VerifyReport, 'ok' | 'summary' | 'error'>, strict: boolean): VerifyReport {
  const errors = args.findings.filter((f) => f.severity === 'error').length;
  const warnings = args.findings.filter((f) => f.severity === 'warning').length;
  const files = new Set(args.findings.map((f) => f.file)).size;
  return { ...args, ok: errors === 0 && !(strict && warnings > 0), summary: { errors, warnings, files }, error: null };
}

/** The `--json` document. Suppressed findings are listed only with --verbose. */
export function jsonReport(report: VerifyReport, verbose: boolean): string {
  const doc: Record<string, unknown> = {
    ok: report.ok,
    findings: report.findings.map(({ rule, severity, file, line, column, message, fix }) => ({ rule, severity, file, line, column, message, fix })),
    summary: report.summary,
    setups: report.setups,
    checked: report.checked,
    database: report.database,
  };
  if (report.shadow) doc.shadow = report.shadow;
  if (report.drift) doc.differences = report.drift.differences;
  if (report.rehearsal) doc.rehearsal = report.rehearsal;
  if (report.isolation) doc.isolation = report.isolation;
  if (report.error) doc.error = report.error;
  doc.version = packageVersion();
  doc.schemaVersion = VERIFY_SCHEMA_VERSION;
  if (verbose) {
    doc.suppressed = report.suppressed;
    doc.unusedDirectives = report.unusedDirectives.map(({ rule, reason, file, line, column }) => ({ rule, reason, file, line, column }));
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}
