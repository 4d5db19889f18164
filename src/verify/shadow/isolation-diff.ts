// --isolation against a database with pending files: the matrix of the database as
// it is (its applied files replayed on a shadow) against the matrix after the
// pending files. Every access a pending file widens — denied → allowed, or other
// users' (for anon: private) rows now reached — is an error, attributed to the
// pending files whose policy, grant or RLS statements name that table. A table
// with no "before" (the pending files create it, or first give it an owner) is
// judged by the absolute checks alone. Pure, but for `isolationAgainstDatabase`.
import type { Database } from '../../db/driver.js';
import type { Discovery, DiscoverOptions } from '../../discover/project.js';
import type { Corpus } from '../corpus.js';
import type { Parser } from '../parse.js';
import { RULE_SEVERITY, type Finding } from '../types.js';
import type { DatabaseFinding } from '../suppress-db.js';
import type { AccessCell, IsolationDiffSummary, IsolationReport, Widened } from './isolation-report.js';
export type { IsolationDiffSummary, Widened } from './isolation-report.js';
import { probeIsolation } from './isolation.js';
import { rehearsePending, type RehearsalSummary } from './pending.js';

const ROLE_WORDS: Record<string, string> = { 'user A': 'authenticated', 'no user': 'authenticated without a user id', anon: 'anon' };

/** "anon can now SELECT tasks", "authenticated can now UPDATE billing_subscriptions of other users". */
export function describeWidening(cell: AccessCell): string {
  const who = ROLE_WORDS[cell.role] ?? cell.role;
  const { command, table } = cell;
  if (cell.reach < 2) return `${who} can now ${command} ${table}`;
  if (cell.role === 'anon') return command === 'INSERT' ? `anon can now INSERT ${table}` : `anon can now ${command} private rows of ${table}`;
  if (cell.role === 'no user') return `${who} can now ${command} every user's ${table}`;
  return command === 'INSERT' ? `${who} can now INSERT ${table} rows owned by other users` : `${who} can now ${command} ${table} of other users`;
}

/** The cells whose reach grew from `before` to `after`; cells with no before are new, not widened. */
export function widenedCells(before: readonly AccessCell[], after: readonly AccessCell[]): { before: AccessCell; after: AccessCell }[] {
  const key = (c: AccessCell) => `${c.table}\u0000${c.role}\u0000${c.command}`;
  const was = new Map(before.map((c) => [key(c), c]));
  const widened: { before: AccessCell; after: AccessCell }[] = [];
  for (const cell of after) {
    const old = was.get(key(cell));
    if (old && cell.reach > old.reach) widened.push({ before: old, after: cell });
  }
  return widened;
}

/** A widening, as a finding (silenceable) and as its `widened` entry. */
export interface WideningFinding {
  finding: DatabaseFinding;
  widened: Widened;
}

/**
 * The findings of the widened cells: one per pending file that names the table in
 * an access statement (its first such statement is the place), or, when none does
 * (a function, a role membership), one per pending file, at no place.
 */
export function wideningFindings(cells: readonly { before: AccessCell; after: AccessCell }[], corpus: Corpus, pending: readonly string[]): WideningFinding[] {
  const pendingSet = new Set(pending);
  const result: WideningFinding[] = [];
  for (const { before, after } of cells) {
    const statements = (corpus.tables.get(`public.${after.table}`)?.access ?? []).filter((s) => pendingSet.has(s.file.file.path));
    const places = new Map<string, { line: number; column: number }>();
    for (const s of statements) if (!places.has(s.file.file.path)) places.set(s.file.file.path, s.position);
    const named = places.size > 0;
    if (!named) for (const file of pending) places.set(file, { line: 0, column: 0 });
    for (const [file, at] of places) {
      const message = describeWidening(after);
      const finding: DatabaseFinding = {
        rule: 'isolation',
        severity: RULE_SEVERITY.isolation,
        file,
        line: at.line,
        column: at.column,
        message: `${message} (${before.shown} → ${after.shown} once the pending files run)${named ? '' : `: no pending file names ${after.table} in a policy, grant or RLS statement, so each is suspect`}`,
        fix: `If this is meant, say why in this file: -- verify:ignore isolation <reason>. Otherwise keep the ${after.command} policies and grants of ${after.table} as narrow as before.`,
        table: after.table,
        ownFileOnly: true,
      };
      result.push({ finding, widened: { table: after.table, role: ROLE_WORDS[after.role] ?? after.role, command: after.command, before: before.shown, after: after.shown, file, message } });
    }
  }
  return result;
}

/**
 * Rehearses the next migrate of `live` on a shadow, probing isolation after the
 * replay and after the pending files. The rehearsal's own findings (a pending file
 * that fails) come back too; `widenings` is null when the pending files did not
 * all apply (nothing to compare).
 */
export async function isolationAgainstDatabase(
  project: DiscoverOptions,
  active: Discovery,
  live: Database,
  sampleData: boolean,
  parser: Parser,
  corpus: Corpus,
): Promise<{ rehearsal: RehearsalSummary; findings: Finding[]; widenings: WideningFinding[] | null }> {
  let before: IsolationReport | null = null;
  let after: IsolationReport | null = null;
  // Findings are placed by the widening, not by the probe: the probe's own are the fresh shadow's.
  const nowhere = () => ({ file: '(shadow)', line: 0, column: 0 });
  const rehearsed = await rehearsePending(project, active, live, sampleData, {
    afterReplay: async (instance) => void (before = await probeIsolation(instance, parser, nowhere)),
    afterPending: async (instance) => void (after = await probeIsolation(instance, parser, nowhere)),
  });
  const [was, now] = [before as IsolationReport | null, after as IsolationReport | null];
  if (!was || !now) return { rehearsal: rehearsed.summary, findings: rehearsed.findings, widenings: null };
  return { rehearsal: rehearsed.summary, findings: rehearsed.findings, widenings: wideningFindings(widenedCells(was.access, now.access), corpus, rehearsed.summary.pending) };
}
