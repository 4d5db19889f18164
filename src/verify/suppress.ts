// `-- verify:ignore <rule> <reason>`: silences one rule on purpose. Written in
// the comment lines right above a statement, it covers that statement; written in
// the header (the file's leading comment block, set apart from the first statement
// by a blank line), it covers the whole file. Findings about the file itself
// (naming, sequence, header) are covered by any directive of the leading block.
// The directive's syntax is a documented format: never change it. A reason is
// required: it is what a reviewer reads (`--verbose` prints it).
import type { Comment, ParsedFile } from './parse.js';
import type { RawFinding, SuppressedFinding } from './types.js';
import { RULE_SEVERITY, SUPPRESSIBLE_RULES } from './types.js';

export interface Directive {
  rule: string;
  reason: string;
  file: string;
  line: number;
  column: number;
  /** Whether it silenced at least one finding. */
  used: boolean;
}

export interface FileDirectives {
  /** Every well-formed directive of the file. */
  all: Directive[];
  /** Directives of a header set apart from the code: they cover every finding of the file. */
  fileWide: Directive[];
  /** Directives of the leading comment block: they cover findings about the file itself. */
  fileLevel: Directive[];
  /** Directives attached to a top-level statement, by statement index. */
  byStatement: Map<number, Directive[]>;
  /** Malformed directives (unknown rule, no reason). */
  problems: RawFinding[];
}

// Applied to one comment's text, never to SQL.
const DIRECTIVE = /^--\s*verify:ignore\b(.*)$/;

/** Reads the directives of a file and attaches each to the header or to a statement. */
export function readDirectives(parsed: ParsedFile): FileDirectives {
  const result: FileDirectives = { all: [], fileWide: [], fileLevel: [], byStatement: new Map(), problems: [] };
  const path = parsed.file.path;
  const directiveOf = new Map<Comment, Directive>();
  for (const comment of parsed.comments) {
    const m = DIRECTIVE.exec(comment.text);
    if (!m) continue;
    const words = (m[1] ?? '').trim();
    const space = words.search(/\s/);
    const rule = space < 0 ? words : words.slice(0, space);
    const reason = space < 0 ? '' : words.slice(space).trim();
    const place = { line: comment.line, column: comment.column };
    if (!SUPPRESSIBLE_RULES.has(rule) || !reason) {
      result.problems.push({
        rule: 'verify-ignore',
        severity: RULE_SEVERITY['verify-ignore'],
        file: path,
        ...place,
        message: !rule
          ? 'verify:ignore names no rule'
          : !SUPPRESSIBLE_RULES.has(rule)
            ? `verify:ignore names unknown rule "${rule}"`
            : `verify:ignore ${rule} gives no reason, so it silences nothing`,
        fix: SUPPRESSIBLE_RULES.has(rule)
          ? `Say why the rule does not apply here: -- verify:ignore ${rule} <reason>.`
          : `Write -- verify:ignore <rule> <reason>, with one of: ${[...SUPPRESSIBLE_RULES].join(', ')}.`,
        statement: null,
      });
      continue;
    }
    const directive = { rule, reason, file: path, ...place, used: false };
    directiveOf.set(comment, directive);
    result.all.push(directive);
  }
  if (directiveOf.size === 0) return result;

  // The leading block: comments from the first one on, each on the line after the last.
  const firstStatementLine = parsed.topLevel[0]?.line ?? Number.POSITIVE_INFINITY;
  const leading: Comment[] = [];
  for (const comment of parsed.header) {
    const previous = leading[leading.length - 1];
    if (previous && comment.line !== previous.endLine + 1 && comment.line !== previous.endLine) break;
    leading.push(comment);
  }
  const attachedToCode = leading.length > 0 && leading[leading.length - 1]!.endLine === firstStatementLine - 1;
  for (const comment of leading) {
    const d = directiveOf.get(comment);
    if (!d) continue;
    result.fileLevel.push(d);
    if (!attachedToCode) result.fileWide.push(d);
  }

  // A statement owns the unbroken run of comment lines right above its first line.
  const comments = parsed.comments;
  let c = 0;
  parsed.topLevel.forEach((span, index) => {
    while (c < comments.length && comments[c]!.index < span.start) c++;
    const attached: Directive[] = [];
    let expectedLine = span.line - 1;
    for (let k = c - 1; k >= 0; k--) {
      const comment = comments[k]!;
      if (comment.endLine !== expectedLine) break;
      const d = directiveOf.get(comment);
      if (d) attached.push(d);
      expectedLine = comment.line - 1;
    }
    if (attached.length > 0) result.byStatement.set(index, attached);
  });
  return result;
}

/** The directive of a file that silences `rule` at a statement (null: the file itself), or null. Marks nothing. */
export function directiveFor(finding: { rule: string; statement: number | null }, directives: FileDirectives): Directive | null {
  const candidates = [...directives.fileWide, ...(finding.statement === null ? directives.fileLevel : (directives.byStatement.get(finding.statement) ?? []))];
  return candidates.find((d) => d.rule === finding.rule) ?? null;
}

/** Splits findings of one file into those that stand and those silenced on purpose. */
export function applyDirectives(findings: readonly RawFinding[], directives: FileDirectives): { kept: RawFinding[]; suppressed: SuppressedFinding[] } {
  const kept: RawFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const directive = directiveFor(finding, directives);
    if (!directive) {
      kept.push(finding);
      continue;
    }
    directive.used = true;
    const { statement: _statement, ...plain } = finding;
    suppressed.push({ ...plain, reason: directive.reason });
  }
  return { kept, suppressed };
}
