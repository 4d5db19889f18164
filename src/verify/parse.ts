// One migration file, parsed once: its statements (with the static SQL inside DO
// blocks), the comments between statements, and where each thing is. Every rule
// reads this; nothing re-parses. Pure: the parser is handed in.
import type { Node } from 'libpg-query';
import type { MigrationFile } from '../core/types.js';
import { indexOfLine, SourceText, type Position } from '../core/position.js';
import { stripBom } from '../core/text.js';
import { splitStatementsSync, SqlSyntaxError, type StatementParser } from '../sql/statements.js';
import { as, kindOf } from './ast.js';
import { conditionParser, doLanguage, readDoBody, type DoContext } from './plpgsql.js';
import { describeInvalidUtf8 } from '../core/encoding.js';
import { describeClientFeature, readScript } from '../sql/psql-features.js';

/** The parts of libpg-query verification uses (the module itself, once loaded). */
export interface Parser extends StatementParser {
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
  parsePlPgSQLSync(sql: string): unknown;
}

/** A comment outside any statement (header, section banners, directives). */
export interface Comment {
  /** The comment as written, with its `--` or its slash-star delimiters. */
  text: string;
  /** UTF-16 index of its first character. */
  index: number;
  line: number;
  column: number;
  endLine: number;
}

export interface Statement {
  node: Node;
  kind: string;
  /** Index of the top-level statement this is, or is inside of (a DO block), in `ParsedFile.topLevel`. */
  top: number;
  position: Position;
  /** The place of a parse-tree `location` of this statement's nodes (its start when absent). */
  at(location: number | undefined): Position;
  /** Guards around it when it runs inside a DO block; null at top level. */
  inDo: DoContext | null;
  file: ParsedFile;
}

export interface TopLevelSpan {
  /** UTF-16 indexes of the first character and just past the last (before the semicolon). */
  start: number;
  end: number;
  line: number;
}

export interface SyntaxProblem {
  message: string;
  /** What to do, when it is not "fix the SQL here" (a file that is not UTF-8, a psql feature). */
  fix?: string;
  position: Position;
  /** The top-level statement (a DO block whose body does not parse), or null for the file. */
  statement: number | null;
}

export interface ParsedFile {
  file: MigrationFile;
  source: SourceText;
  /** Every statement in source order, DO-block statements right after their DO. */
  statements: Statement[];
  topLevel: TopLevelSpan[];
  /** Comments between statements, in order. */
  comments: Comment[];
  /** Comments before the first statement: the header. */
  header: Comment[];
  syntax: SyntaxProblem[];
}

/** Parses one file. Never throws for bad SQL: that becomes a `syntax` problem. */
export function parseMigration(parser: Parser, file: MigrationFile): ParsedFile {
  // The engine strips a BOM before running a file; positions are counted without it too.
  const text = stripBom(file.content);
  const source = new SourceText(text);
  const parsed: ParsedFile = { file, source, statements: [], topLevel: [], comments: [], header: [], syntax: [] };
  if (file.invalidUtf8) {
    // The engine refuses the file; the rules still read it as decoded (U+FFFD for the bad bytes).
    const { message, hint } = describeInvalidUtf8(file.path, file.invalidUtf8);
    parsed.syntax.push({ message, fix: hint, position: { line: file.invalidUtf8.line, column: file.invalidUtf8.column }, statement: null });
  }
  if (text.trim() === '') return parsed; // libpg_query refuses an empty query

  let spans;
  try {
    spans = splitStatementsSync(parser, source);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    // psql meta-commands and COPY rows are what the engine refuses them as, not plain syntax errors.
    const features = readScript(parser, text).features;
    for (const feature of features) {
      const { message, hint, line, column } = describeClientFeature(text, feature);
      parsed.syntax.push({ message, fix: hint, position: { line, column }, statement: null });
    }
    if (features.length === 0) {
      parsed.syntax.push({ message: firstLine(error.message), position: source.positionOfIndex(error.index), statement: null });
    }
    // Without statements the whole file is scanned, when the scanner can read it, for the header.
    parsed.comments = commentsOutside(parser, source, []);
    parsed.header = leadingComments(parser, source, parsed.comments);
    return parsed;
  }

  const conditions = conditionParser((sql) => parser.parseSync(sql));
  for (const { start, end, node } of spans) {
    const top = parsed.topLevel.length;
    const position = source.positionOfIndex(start);
    parsed.topLevel.push({ start, end, line: position.line });
    parsed.statements.push({
      node,
      kind: kindOf(node),
      top,
      position,
      at: (location) => (location === undefined || location < 0 ? position : source.positionOfByte(location)),
      inDo: null,
      file: parsed,
    });
    const doStmt = as(node, 'DoStmt');
    if (doStmt) readDoStatements(parser, parsed, top, doStmt.args, conditions);
  }
  parsed.comments = commentsOutside(parser, source, parsed.topLevel);
  const firstStart = parsed.topLevel[0]?.start ?? text.length;
  parsed.header = parsed.comments.filter((c) => c.index < firstStart);
  return parsed;
}

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}

/**
 * The comments outside every statement, in one scanner call per file: the text with
 * each statement blanked out (same length, so places stay put) leaves only
 * whitespace, semicolons and comments to scan. Comments inside a statement are
 * part of it and never directives or headers.
 */
function commentsOutside(parser: Parser, source: SourceText, spans: readonly TopLevelSpan[]): Comment[] {
  const text = source.text;
  const parts: string[] = [];
  let cursor = 0;
  for (const span of spans) {
    parts.push(text.slice(cursor, span.start), ' '.repeat(Math.max(0, span.end - span.start)));
    cursor = Math.max(cursor, span.end);
  }
  parts.push(text.slice(cursor));
  const blanked = spans.length === 0 ? text : parts.join('');
  if (!blanked.includes('--') && !blanked.includes('/*')) return [];
  let tokens;
  try {
    tokens = parser.scanSync(blanked).tokens;
  } catch {
    return []; // an unterminated comment: the parser reports it as a syntax error
  }
  // Byte offsets of the blanked text (only comments there can hold non-ASCII characters).
  const offsets = blanked === text ? source : new SourceText(blanked);
  const comments: Comment[] = [];
  for (const token of tokens) {
    if (token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT') continue;
    const index = offsets.indexOfByte(token.start);
    const endIndex = offsets.indexOfByte(token.end);
    const position = source.positionOfIndex(index);
    comments.push({
      text: text.slice(index, endIndex),
      index,
      line: position.line,
      column: position.column,
      endLine: source.lineOf(Math.max(index, endIndex - 1)),
    });
  }
  return comments;
}

/** For a file that does not parse: the comments before its first other token. */
function leadingComments(parser: Parser, source: SourceText, comments: Comment[]): Comment[] {
  let firstToken = source.text.length;
  try {
    for (const token of parser.scanSync(source.text).tokens) {
      if (token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT') {
        firstToken = source.indexOfByte(token.start);
        break;
      }
    }
  } catch {
    return [];
  }
  return comments.filter((c) => c.index < firstToken);
}

/**
 * The static statements of a DO block, placed at their line and column in the file.
 * A body that does not parse as PL/pgSQL is a syntax problem: PostgreSQL would
 * reject it when the migration runs.
 */
function readDoStatements(parser: Parser, parsed: ParsedFile, top: number, args: Node[] | undefined, conditions: ReturnType<typeof conditionParser>): void {
  if (doLanguage(args) !== 'plpgsql') return;
  const span = parsed.topLevel[top]!;
  const { source } = parsed;
  const doPosition = source.positionOfIndex(span.start);
  let tree: unknown;
  try {
    tree = parser.parsePlPgSQLSync(source.text.slice(span.start, span.end));
  } catch (error) {
    parsed.syntax.push({ message: `in DO block: ${firstLine((error as Error).message)}`, position: doPosition, statement: top });
    return;
  }
  const body = bodyOf(source, args);
  const located = readDoBody(tree, conditions);
  const cursorOnLine = new Map<number, number>();
  const place = (query: string, lineno: number): number | null => {
    if (!body) return null;
    const lineStart = indexOfLine(body.text, lineno) ?? body.text.length;
    const found = body.text.indexOf(query, Math.max(lineStart, cursorOnLine.get(lineno) ?? 0));
    if (found < 0) return null;
    cursorOnLine.set(lineno, found + query.length);
    return body.start + found;
  };

  for (const nested of located.statements) {
    const query = new SourceText(nested.query);
    let spans;
    try {
      spans = splitStatementsSync(parser, query);
    } catch {
      continue; // PL/pgSQL accepted it; nothing static to read
    }
    const queryStart = place(nested.query, nested.lineno);
    for (const span of spans) {
      const at = (location: number | undefined): Position =>
        queryStart === null ? doPosition : source.positionOfIndex(queryStart + (location === undefined || location < 0 ? span.start : query.indexOfByte(location)));
      parsed.statements.push({
        node: span.node,
        kind: kindOf(span.node),
        top,
        position: at(undefined),
        at,
        inDo: nested.context,
        file: parsed,
      });
    }
  }
  for (const control of located.transactionControl) {
    let at = body ? body.start + (indexOfLine(body.text, control.lineno) ?? body.text.length) : null;
    // PL/pgSQL gives the line only: point at its first non-blank character.
    while (at !== null && (source.text.charCodeAt(at) === 32 || source.text.charCodeAt(at) === 9)) at++;
    const position = at === null ? doPosition : source.positionOfIndex(at);
    parsed.statements.push({
      node: { TransactionStmt: { kind: control.command === 'COMMIT' ? 'TRANS_STMT_COMMIT' : 'TRANS_STMT_ROLLBACK' } },
      kind: 'TransactionStmt',
      top,
      position,
      at: () => position,
      inDo: { existenceGuard: false, columnGuard: false, handled: new Set() },
      file: parsed,
    });
  }
}

/** The body of a dollar-quoted DO block and where it starts; null for a quoted-string body. */
function bodyOf(source: SourceText, args: Node[] | undefined): { text: string; start: number } | null {
  for (const arg of args ?? []) {
    const def = as(arg, 'DefElem');
    if (def?.defname !== 'as') continue;
    const sval = as(def.arg, 'String')?.sval;
    if (sval === undefined || def.location === undefined) return null;
    const at = source.indexOfByte(def.location);
    // The parser points at the opening delimiter; a dollar quote is `$tag$`.
    if (source.text.charCodeAt(at) !== 36) return null;
    const close = source.text.indexOf('$', at + 1);
    if (close < 0) return null;
    const start = close + 1;
    // Only when the body is the text verbatim (it always is between dollar quotes).
    return source.text.startsWith(sval, start) ? { text: sval, start } : null;
  }
  return null;
}
