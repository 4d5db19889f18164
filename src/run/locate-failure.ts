// Where in a file did it fail? PostgreSQL gives a position for parse and
// analysis errors; for run-time errors (constraint violations, errors raised
// inside DO blocks) it does not, and we find the statement by replaying the
// file statement by statement in a transaction that is always rolled back.
import type { Database } from '../db/driver.js';
import { DatabaseError, type PostgresErrorFields } from '../core/errors.js';
import { charPositionToIndex, indexOfLine, lineColumnAtCharPosition, lineColumnAtIndex, type LineColumn } from '../core/position.js';

export interface FailureLocation {
  line: number;
  column: number;
  text: string;
  pg: PostgresErrorFields;
}

class ReplayDone extends Error {}

/** The first non-blank, non-comment character at or after `index`. */
function skipTrivia(text: string, index: number): number {
  let i = index;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else {
      return i;
    }
  }
}

/** `PL/pgSQL function … line N at …` → N, the line inside the function body. */
function plpgsqlLine(where: string | null): number | null {
  const match = where ? /PL\/pgSQL function [^\n]* line (\d+)/.exec(where) : null;
  return match ? Number(match[1]) : null;
}

/** Line and column inside a statement whose PL/pgSQL body reported `bodyLine`. */
function locateInBody(text: string, statementStart: number, statementEnd: number, bodyLine: number): LineColumn | null {
  // The body starts right after the opening dollar quote of the statement.
  const statement = text.slice(statementStart, statementEnd);
  const open = /\$[A-Za-z_0-9]*\$/.exec(statement);
  if (!open) return null;
  const bodyStart = statementStart + open.index + open[0].length;
  const index = indexOfLine(text, bodyLine, bodyStart);
  if (index === null || index > statementEnd + 1) return null;
  return lineColumnAtIndex(text, skipTrivia(text, index));
}

/**
 * Locates `error` (raised running `text`, the file as sent) in the file.
 * Returns null when the statement cannot be found (the replay did not fail).
 */
export async function locateFailure(db: Database, text: string, error: DatabaseError): Promise<FailureLocation | null> {
  if (error.pg.position !== null) {
    return { ...lineColumnAtCharPosition(text, error.pg.position), pg: error.pg };
  }
  const { splitStatements } = await import('../sql/statements.js');
  let spans;
  try {
    spans = await splitStatements(text);
  } catch {
    return null; // the server parsed it, our parser did not: no better answer than the file
  }
  let found: { start: number; end: number; pg: PostgresErrorFields } | null = null;
  try {
    await db.transaction(
      async (tx) => {
        for (const span of spans) {
          try {
            await tx.exec(text.slice(span.start, span.end));
          } catch (replayError) {
            if (!(replayError instanceof DatabaseError)) throw replayError;
            found = { start: span.start, end: span.end, pg: replayError.pg };
            break;
          }
        }
        throw new ReplayDone();
      },
      { lock: 'exclusive' },
    );
  } catch (replayError) {
    if (!(replayError instanceof ReplayDone)) return null;
  }
  if (!found) return null;
  const hit = found as { start: number; end: number; pg: PostgresErrorFields };
  const statementStart = skipTrivia(text, hit.start);
  if (hit.pg.position !== null) {
    // Positions are relative to the statement we sent on replay.
    const index = hit.start + charPositionToIndex(text.slice(hit.start, hit.end), hit.pg.position);
    return { ...lineColumnAtIndex(text, index), pg: error.pg };
  }
  const bodyLine = plpgsqlLine(hit.pg.where);
  const inBody = bodyLine === null ? null : locateInBody(text, hit.start, hit.end, bodyLine);
  const at = inBody ?? lineColumnAtIndex(text, statementStart);
  return { ...at, pg: error.pg };
}
