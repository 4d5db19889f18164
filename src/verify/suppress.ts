// `-- verify:ignore <rule> <reason>`: silences one rule on purpose, for the
// statement right below the comment block holding it, or for the whole file when
// it is in the header. The directive's syntax is a documented format: never change.
// A reason is required: it is what a reviewer reads (`--verbose` prints it).
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
  /** Directives of the header: they apply to every finding of the file. */
  header: Directive[];
  /** Directives attached to a top-level statement, by statement index. */
  byStatement: Map<number, Directive[]>;
  /** Malformed directives (unknown rule, no reason). */
  problems: RawFinding[];
}

// Applied to one comment's text, never to SQL.
const DIRECTIVE = /^--\s*verify:ignore\b(.*)$/;

/** Reads the directives of a file and attaches each to the header or to a statement. */
export function readDirectives(parsed: ParsedFile): FileDirectives {
  const result: FileDirectives = { header: [], byStatement: new Map(), problems: [] };
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
    if (!SUPPRESSIBLE_RULES.has(rule)) {
      result.problems.push({
        rule: 'verify-ignore',
        severity: RULE_SEVERITY['verify-ignore'],
        file: path,
        ...place,
        message: rule ? `verify:ignore names unknown rule "${rule}"` : 'verify:ignore names no rule',
        fix: `Write -- verify:ignore <rule> <reason>, with one of: ${[...SUPPRESSIBLE_RULES].join(', ')}.`,
        statement: null,
      });
      continue;
    }
    if (!reason) {
      result.problems.push({
        rule: 'verify-ignore',
        severity: RULE_SEVERITY['verify-ignore'],
        file: path,
        ...place,
        message: `verify:ignore ${rule} gives no reason, so it silences nothing`,
        fix: `Say why the rule does not apply here: -- verify:ignore ${rule} <reason>.`,
        statement: null,
      });
      continue;
    }
    directiveOf.set(comment, { rule, reason, file: path, ...place, used: false });
  }
  if (directiveOf.size === 0) return result;

  for (const comment of parsed.header) {
    const d = directiveOf.get(comment);
    if (d) result.header.push(d);
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
      if (d && !result.header.includes(d)) attached.push(d);
      expectedLine = comment.line - 1;
    }
    if (attached.length > 0) result.byStatement.set(index, attached);
  });
  return result;
}

/** Splits findings of one file into those that stand and those silenced on purpose. */
export function applyDirectives(findings: readonly RawFinding[], directives: FileDirectives): { kept: RawFinding[]; suppressed: SuppressedFinding[] } {
  const kept: RawFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const candidates = [...directives.header, ...(finding.statement === null ? [] : (directives.byStatement.get(finding.statement) ?? []))];
    const directive = candidates.find((d) => d.rule === finding.rule);
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
