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

export function splitStatementsSync(parser: LibPgQuery, script: string): StatementSpan[] {
  let result;
  try {
    result = parser.parseSync(script);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    // The error cursor counts characters (0-based), unlike parse-tree locations, which count bytes.
    throw new SqlSyntaxError((error as Error).message, charPositionToIndex(script, (details?.cursorPosition ?? 0) + 1));
  }
  const spans: StatementSpan[] = [];
  let cursor = 0;
  for (const raw of result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const start = byteOffsetToIndex(script, startByte);
    // stmt_len 0 means "to the end of the script".
    const end = raw.stmt_len ? byteOffsetToIndex(script, startByte + raw.stmt_len) : script.length;
    spans.push({ start: Math.max(start, cursor), end, node: (raw.stmt ?? {}) as Record<string, unknown> });
    cursor = end;
  }
  return spans;
}
