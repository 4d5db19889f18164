// The vocabulary of db:verify: rules, findings and their places in files.
// The rule ids and the finding shape are printed by `--json`: a documented
// format that CI scripts read, so never rename a rule or a field.
import type { Severity as PlanSeverity } from '../core/plan.js';

/** The engine's severities less `notice`: every finding is worth fixing. */
export type Severity = Exclude<PlanSeverity, 'notice'>;

/** Static rules: each one a checklist item or a don't of the migration documentation. */
export type StaticRuleId =
  | 'syntax'
  | 'naming'
  | 'sequence'
  | 'header'
  | 'idempotent'
  | 'standard-fields'
  | 'foreign-key'
  | 'fk-index'
  | 'rls'
  | 'updated-at'
  | 'hardcoded-data'
  | 'transaction'
  | 'run-order'
  | 'create-existing'
  | 'down-file';

/** Checks of the live database against the files. */
export type LiveRuleId = 'modified' | 'missing' | 'db-rls' | 'db-table' | 'db-tracking-open';

/** Checks run on a shadow database (a new in-memory PGlite the migrations are applied to). */
export type ShadowRuleId = 'fresh' | 'idempotency' | 'isolation' | 'not-probed' | 'drift' | 'pending';

/** A malformed `-- verify:ignore` directive. */
export type MetaRuleId = 'verify-ignore';

export type RuleId = StaticRuleId | LiveRuleId | ShadowRuleId | MetaRuleId;

/** Severity of every rule. A rule never changes severity from one finding to the next. */
export const RULE_SEVERITY: Readonly<Record<RuleId, Severity>> = {
  syntax: 'error',
  naming: 'error',
  sequence: 'warning',
  header: 'warning',
  idempotent: 'error',
  'standard-fields': 'warning',
  'foreign-key': 'warning',
  'fk-index': 'warning',
  rls: 'error',
  'updated-at': 'warning',
  'hardcoded-data': 'warning',
  transaction: 'error',
  'run-order': 'error',
  'create-existing': 'error',
  'down-file': 'warning',
  modified: 'error',
  missing: 'error',
  'db-rls': 'error',
  'db-table': 'error',
  'db-tracking-open': 'error',
  fresh: 'error',
  idempotency: 'error',
  isolation: 'error',
  'not-probed': 'warning',
  drift: 'error',
  pending: 'error',
  'verify-ignore': 'warning',
};

/**
 * Rules of the database checks a directive may silence too: their findings have a
 * file and a statement (the shadow's failures, the probe's tables, the live
 * checks' tables). Not `modified` (writing a directive changes the checksum),
 * `missing`, `drift` or `pending` (about the database, or a run that would fail).
 */
const DATABASE_SUPPRESSIBLE: readonly RuleId[] = ['fresh', 'idempotency', 'isolation', 'not-probed', 'db-rls', 'db-table'];
export const DATABASE_SUPPRESSIBLE_RULES: ReadonlySet<string> = new Set(DATABASE_SUPPRESSIBLE);

/** Rules a `-- verify:ignore <rule> <reason>` directive may name. */
export const SUPPRESSIBLE_RULES: ReadonlySet<string> = new Set<RuleId>([
  'syntax',
  'naming',
  'sequence',
  'header',
  'idempotent',
  'standard-fields',
  'foreign-key',
  'fk-index',
  'rls',
  'updated-at',
  'hardcoded-data',
  'transaction',
  'run-order',
  'create-existing',
  ...DATABASE_SUPPRESSIBLE,
]);

/** What `--json` prints for each finding. Persisted format: never rename a field. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** Path relative to the project root, `/` separators; `(database)` for live findings about no file. */
  file: string;
  /** 1-based; 0 when the finding has no place in a file (a file missing from disk, a database object). */
  line: number;
  column: number;
  message: string;
  /** What to do about it, one or two sentences. */
  fix: string;
}

/**
 * A finding as rules produce it: with the top-level statement it belongs to, so a
 * directive written above that statement can silence it. `null` for findings about
 * the file as a whole (naming, sequence, header), which only header directives silence.
 */
export interface RawFinding extends Finding {
  statement: number | null;
}

/** A finding silenced on purpose, with the author's reason (shown by `--verbose`). */
export interface SuppressedFinding extends Finding {
  reason: string;
}
