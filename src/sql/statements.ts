// Statement boundaries from the real PostgreSQL parser (libpg_query, WASM).
// Loaded lazily: only verification and the failure path of a run need it.
import { byteOffsetToIndex, charPositionToIndex } from '../core/position.js';

export interface StatementSpan {
  /** 0-based UTF-16 index of the statement's first character in the script. */
  start: number;
  /** 0-based UTF-16 index just past the statement (before its semicolon). */
  end: number;
  /** The parse tree node, keyed by node type (e.g. `{ CreateStmt: {...} }`). */
  node: Record<string, unknown>;
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

/** The parts of libpg-query statement splitting and the pre-run checks use (the module, or a narrower view of it). */
export interface StatementParser {
  parseSync(sql: string): { stmts?: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
}

/** Converts non-decreasing UTF-8 byte offsets of `text` to UTF-16 indexes, in one pass overall. */
function forwardByteCursor(text: string): (byteOffset: number) => number {
  let bytes = 0;
  let index = 0;
  return (byteOffset) => {
    if (byteOffset < bytes) return byteOffsetToIndex(text, byteOffset);
    while (bytes < byteOffset && index < text.length) {
      const code = text.codePointAt(index)!;
      bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      index += code > 0xffff ? 2 : 1;
    }
    return index;
  };
}
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

export function splitStatementsSync(parser: Pick<StatementParser, 'parseSync'>, script: string): StatementSpan[] {
  let result;
  try {
    result = parser.parseSync(script);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    // The error cursor counts characters (0-based), unlike parse-tree locations, which count bytes.
    throw new SqlSyntaxError((error as Error).message, charPositionToIndex(script, (details?.cursorPosition ?? 0) + 1));
  }
  const spans: StatementSpan[] = [];
  // Statement locations are increasing byte offsets: convert them in one forward pass
  // (converting each from the start of the script would be quadratic in file size).
  const toIndex = forwardByteCursor(script);
  let cursor = 0;
  for (const raw of result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const start = toIndex(startByte);
    // stmt_len 0 means "to the end of the script".
    const end = raw.stmt_len ? toIndex(startByte + raw.stmt_len) : script.length;
    spans.push({ start: Math.max(start, cursor), end, node: (raw.stmt ?? {}) as Record<string, unknown> });
    cursor = end;
  }
  return spans;
}
