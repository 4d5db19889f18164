// `-- verify:ignore <rule> <reason>` for the findings of the database checks (the
// shadow's fresh, idempotency and isolation runs, the live checks): the same
// directives the static check read (suppress.ts), attached the same way — above
// the statement a finding points at, or file-wide in the header. A finding about
// a table (isolation, not-probed) is also silenced by a directive on any statement
// that decides who reaches that table's rows (its CREATE, policies, grants, RLS),
// so the author writes the reason where the access is granted. A widening found
// against the database only by one in the pending file it is attributed to.
import type { Corpus } from './corpus.js';
import type { ParsedFile } from './parse.js';
import { directiveFor, type FileDirectives } from './suppress.js';
import type { Finding, SuppressedFinding } from './types.js';
import { DATABASE_SUPPRESSIBLE_RULES } from './types.js';

/** A database finding, with the table it is about when there is one. */
export interface DatabaseFinding extends Finding {
  table?: string;
  /** Only directives of its own file count (a widening: the pending file that made it). */
  ownFileOnly?: boolean;
}

export interface DirectiveIndex {
  parsed: ReadonlyMap<string, ParsedFile>;
  directives: ReadonlyMap<string, FileDirectives>;
  /** The corpus of the setup the findings come from (the access statements of each table). */
  corpus: Corpus | null;
}

/** The top-level statement of `file` at `line` (null: before the first, or no place). */
export function statementAtLine(file: ParsedFile, line: number): number | null {
  if (line <= 0) return null;
  let found: number | null = null;
  file.topLevel.forEach((span, index) => {
    if (span.line <= line && file.source.lineOf(Math.max(span.start, span.end - 1)) >= line) found = index;
  });
  return found;
}

/** Splits database findings into those that stand and those an author silenced on purpose. */
export function applyDatabaseDirectives(findings: readonly DatabaseFinding[], index: DirectiveIndex): { kept: Finding[]; suppressed: SuppressedFinding[] } {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const { table, ownFileOnly, ...plain } = finding;
    const directive = DATABASE_SUPPRESSIBLE_RULES.has(finding.rule) ? silencer(finding, index) : null;
    if (!directive) {
      kept.push(plain);
      continue;
    }
    directive.used = true;
    suppressed.push({ ...plain, reason: directive.reason });
  }
  return { kept, suppressed };
}

function silencer(finding: DatabaseFinding, index: DirectiveIndex) {
  const places: { file: string; statement: number | null }[] = [];
  const own = index.parsed.get(finding.file);
  if (own) places.push({ file: finding.file, statement: statementAtLine(own, finding.line) });
  const table = finding.table === undefined ? undefined : index.corpus?.tables.get(`public.${finding.table}`);
  for (const stmt of table?.access ?? []) {
    const file = stmt.file.file.path;
    if (!finding.ownFileOnly || file === finding.file) places.push({ file, statement: stmt.top });
  }
  for (const place of places) {
    const directives = index.directives.get(place.file);
    const directive = directives ? directiveFor({ rule: finding.rule, statement: place.statement }, directives) : null;
    if (directive) return directive;
  }
  return null;
}
