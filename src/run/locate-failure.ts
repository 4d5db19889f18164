// Where in a file did it fail, from what the server already said; never by running
// the file again (a slow data migration would hold the lock twice as long, and a
// statement cancelled by an operator or a timeout would run a second time).
// - A position (parse and analysis errors): a place in the script, which starts
//   with the file.
// - Otherwise the count of statements the server reported complete before the
//   error (DatabaseError.completedStatements): statement number k of the file, by
//   the real parser's statement boundaries.
// - Inside a DO block, PL/pgSQL's context names the line of its body, and for a
//   failing SQL statement in it, the statement's text and the position inside it.
import { DatabaseError, type PostgresErrorFields } from '../core/errors.js';
import { charPositionToIndex, indexOfLine, SourceText, type LineColumn } from '../core/position.js';
import { loadParser, splitStatementsSync, type StatementParser, type StatementSpan } from '../sql/statements.js';
import { as } from '../verify/ast.js';
import type { MigrationFile } from '../core/types.js';

export interface FailureLocation extends LineColumn {
  pg: PostgresErrorFields;
  /** 0-based index of the failing top-level statement of the file, when known. */
  statement: number | null;
}

/**
 * Locates `error` (raised running a script that starts with `text`, the file as
 * sent) in the file. Null when the server's report does not place it in the file
 * (a failure after its last statement: the tracking row, a deferred constraint at
 * COMMIT) or the file does not parse without a position to go by.
 */
export async function locateFailure(text: string, error: DatabaseError): Promise<FailureLocation | null> {
  return locateFailureWith(await loadParser(), text, error);
}

/**
 * The failing statement's place in `file` and the hint for its error, computed from
 * `files` (the setup in run order): one parser load, and only on failure.
 */
export async function explainFailure(
  text: string,
  error: DatabaseError,
  file: MigrationFile,
  files: readonly MigrationFile[],
): Promise<{ location: FailureLocation | null; hint: string | null }> {
  const parser = await loadParser();
  const location = locateFailureWith(parser, text, error);
  const { failureHint } = await import('./hints.js');
  let hint: string | null = null;
  try {
    hint = failureHint(parser, { pg: error.pg, file, statement: location?.statement ?? null, files });
  } catch {
    // A hint is a courtesy: the failure itself is reported whatever happens here.
  }
  return { location, hint };
}

/** locateFailure with the parser at hand. Pure. */
export function locateFailureWith(parser: Pick<StatementParser, 'parseSync'>, text: string, error: DatabaseError): FailureLocation | null {
  const source = new SourceText(text);
  let spans: StatementSpan[] | null;
  try {
    spans = splitStatementsSync(parser, source);
  } catch {
    spans = null; // a syntax error: the server's position says where
  }
  const pg = error.pg;
  if (pg.position !== null) {
    const index = charPositionToIndex(text, pg.position);
    return { ...source.lineColumnOfIndex(index), pg, statement: spans ? statementAt(spans, index) : null };
  }
  const failing = error.completedStatements;
  if (failing === null || spans === null || failing >= spans.length) return null;
  const span = spans[failing]!;
  return { ...source.lineColumnOfIndex(indexInDoBlock(source, span, pg) ?? span.start), pg, statement: failing };
}

/** The statement holding UTF-16 index `index` (the last one starting at or before it). */
function statementAt(spans: readonly StatementSpan[], index: number): number | null {
  let found: number | null = null;
  spans.forEach((span, i) => {
    if (span.start <= index) found = i;
  });
  return found;
}

/**
 * The line of the DO block's body PL/pgSQL names in its context
 * (`PL/pgSQL function inline_code_block line N at …`; the outermost frame when
 * functions were called from the block). Server text, not SQL.
 */
function doBlockLine(where: string | null): number | null {
  let line: number | null = null;
  for (const frame of where?.split('\n') ?? []) {
    const match = /^PL\/pgSQL function inline_code_block line (\d+)/.exec(frame);
    if (match) line = Number(match[1]);
  }
  return line;
}

/** Where in a failing DO statement the error is: its body's line, and the failing SQL in it when the server quotes it. */
function indexInDoBlock(source: SourceText, span: StatementSpan, pg: PostgresErrorFields): number | null {
  const bodyLine = doBlockLine(pg.where);
  const body = as(span.node, 'DoStmt')?.args?.map((arg) => as(arg, 'DefElem')).find((d) => d?.defname === 'as');
  if (bodyLine === null || body?.location === undefined) return null;
  const text = source.text;
  // The body's string token: `$tag$…$tag$` (PL/pgSQL counts lines from just after
  // the opening tag) or '…'.
  const open = source.indexOfByte(body.location);
  const bodyStart = text[open] === '$' ? text.indexOf('$', open + 1) + 1 : text[open] === "'" ? open + 1 : -1;
  if (bodyStart <= 0) return null;
  const lineStart = indexOfLine(text, bodyLine, bodyStart);
  if (lineStart === null || lineStart > span.end) return null;
  // A failing SQL statement of the block: the server gives its text and the position in it.
  if (pg.internalQuery && pg.internalPosition !== null) {
    const at = text.indexOf(pg.internalQuery, lineStart);
    if (at >= 0 && at < span.end) return at + charPositionToIndex(pg.internalQuery, pg.internalPosition);
  }
  let index = lineStart;
  while (text[index] === ' ' || text[index] === '\t') index++;
  return index;
}
