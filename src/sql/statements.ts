// Statement boundaries from the real PostgreSQL parser (libpg_query, WASM), for
// the engine's checks and db:verify alike. Loaded lazily: only verification, the
// transaction-control check and the failure path of a run need it.
import type { Node } from 'libpg-query';
import { charPositionToIndex, SourceText } from '../core/position.js';

/** The parts of libpg-query that statement splitting and the pre-run checks use (the module itself, once loaded). */
export interface StatementParser {
  parseSync(sql: string): { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
}

export interface StatementSpan {
  /** 0-based UTF-16 index of the statement's first character in the script. */
  start: number;
  /** 0-based UTF-16 index just past the statement (before its semicolon). */
  end: number;
  /** The parse tree node, keyed by node type (e.g. `{ CreateStmt: {...} }`). */
  node: Node;
}

export class SqlSyntaxError extends Error {
  override readonly name = 'SqlSyntaxError';
  /** 0-based UTF-16 index of the error in the script. */
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

type LibPgQuery = typeof import('libpg-query');

let loaded: Promise<LibPgQuery> | null = null;

/** Loads the WASM parser once per process. */
export function loadParser(): Promise<LibPgQuery> {
  loaded ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    return m;
  });
  return loaded;
}

/** Splits a script into statements, with their parse trees. Throws SqlSyntaxError. */
export async function splitStatements(script: string): Promise<StatementSpan[]> {
  const parser = await loadParser();
  return splitStatementsSync(parser, script);
}

/**
 * Splits a script (or a text already tabled for positions) into statements. Throws
 * SqlSyntaxError, at the place the parser gave up, when the script does not parse.
 */
export function splitStatementsSync(parser: Pick<StatementParser, 'parseSync'>, script: string | SourceText): StatementSpan[] {
  const source = typeof script === 'string' ? new SourceText(script) : script;
  const text = source.text;
  let result;
  try {
    result = parser.parseSync(text);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    // The error cursor counts characters (0-based), unlike parse-tree locations, which count bytes.
    throw new SqlSyntaxError((error as Error).message, charPositionToIndex(text, (details?.cursorPosition ?? 0) + 1));
  }
  const spans: StatementSpan[] = [];
  // Statement locations are byte offsets, tabled once by `source` (converting each
  // from the start of the script would be quadratic in file size).
  let cursor = 0;
  for (const raw of result.stmts ?? []) {
    // libpg_query leaves empty statements (`;;`) out; a RawStmt always has its node.
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = source.indexOfByte(startByte);
    // stmt_len 0 means "to the end of the script".
    const end = raw.stmt_len ? source.indexOfByte(startByte + raw.stmt_len) : text.length;
    spans.push({ start: Math.max(start, cursor), end, node: raw.stmt });
    cursor = end;
  }
  return spans;
}

/** UTF-16 index of the statement's first token (a span starts after the previous semicolon: blanks and comments included). */
export function firstTokenIndex(parser: Pick<StatementParser, 'scanSync'>, text: string, span: StatementSpan): number {
  const statement = text.slice(span.start, span.end);
  try {
    const first = parser.scanSync(statement).tokens.find((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
    if (first) return span.start + new SourceText(statement).indexOfByte(first.start);
  } catch {
    // The scanner refused what the parser read: the span's start is close enough.
  }
  return span.start + (statement.length - statement.trimStart().length);
}
