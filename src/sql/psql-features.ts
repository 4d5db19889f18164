// psql client features in migration files: backslash meta-commands (`\i`, `\set`,
// `\connect`…) and `COPY … FROM STDIN` followed by its rows. psql handles them
// on the client; the server, which is what the runner sends a file to, sees a
// syntax error at a backslash or at the first row. They are found with the
// parser's own error positions and parse trees: a meta-command is where the parser
// stops at a backslash, COPY FROM STDIN is a CopyStmt with is_from and no file.
import { lineColumnAtIndex, SourceText } from '../core/position.js';
import { splitStatementsSync, SqlSyntaxError, type StatementParser, type StatementSpan } from './statements.js';

export interface ClientFeature {
  kind: 'meta-command' | 'copy-from-stdin';
  /** 0-based UTF-16 index of its backslash, or of the COPY keyword. */
  index: number;
  /** As written: `\i`, `\set`, or `COPY`. */
  command: string;
}

export interface ReadScript {
  /** The statements, with client features set aside; null when the rest has a syntax error of its own. */
  spans: StatementSpan[] | null;
  features: ClientFeature[];
}

const BACKSLASH = 92;

/** Whether a parse tree node is `COPY … FROM STDIN` (not a server file, not a program). */
export function isCopyFromStdin(node: Record<string, unknown>): boolean {
  const copy = node.CopyStmt as { is_from?: boolean; filename?: string } | undefined;
  return copy !== undefined && copy.is_from === true && copy.filename === undefined;
}

/** `text` with [from, to) turned into spaces; line breaks kept, so every index and line stays put. */
function blank(text: string, from: number, to: number): string {
  let middle = '';
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    middle += c === 10 || c === 13 ? text[i] : ' ';
  }
  return text.slice(0, from) + middle + text.slice(to);
}

function endOfLine(text: string, index: number): number {
  let i = index;
  while (i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
  return i;
}

/** Just past the rows psql would send after a COPY ending at `from`: through the `\.` line, or to the end. */
function endOfCopyData(text: string, from: number): number {
  let lineStart = text.indexOf('\n', from);
  while (lineStart >= 0) {
    lineStart++;
    const end = endOfLine(text, lineStart);
    if (text.slice(lineStart, end) === '\\.') return end;
    lineStart = text.indexOf('\n', end);
  }
  return text.length;
}

/** The first `COPY … FROM STDIN` statement between `from` and `to`, where no syntax error is yet. */
function copyFromStdinBetween(parser: StatementParser, text: string, from: number, to: number): { start: number; end: number } | null {
  const part = text.slice(from, to);
  let tokens;
  try {
    tokens = parser.scanSync(part).tokens;
  } catch {
    return null;
  }
  let statementStart = true;
  let positions: SourceText | undefined;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if (token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT') continue;
    const atStart = statementStart;
    statementStart = token.text === ';';
    if (!atStart || token.text.toUpperCase() !== 'COPY') continue;
    let close = t + 1;
    while (close < tokens.length && tokens[close]!.text !== ';') close++;
    const startByte = token.start;
    const endByte = close < tokens.length ? tokens[close]!.end : Buffer.byteLength(part);
    positions ??= new SourceText(part);
    const start = from + positions.indexOfByte(startByte);
    const end = from + positions.indexOfByte(endByte);
    try {
      const [stmt] = splitStatementsSync(parser, text.slice(start, end));
      if (stmt && isCopyFromStdin(stmt.node)) return { start, end };
    } catch {
      /* not a COPY the parser reads: the server will say what is wrong with it */
    }
  }
  return null;
}

/** Meta-commands that end the query written before them (psql sends it), like a semicolon. */
const SENDS_QUERY = (command: string) => command.startsWith('\\g') || command === '\\watch' || command === '\\crosstabview';

/** `\i`, `\set`… as written (a backslash and the word after it). */
function metaCommandName(text: string, index: number): string {
  let end = index + 1;
  const stops = (c: number) => c === BACKSLASH || c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
  while (end < text.length && end - index < 24 && !stops(text.charCodeAt(end))) end++;
  return text.slice(index, end);
}

/**
 * Reads a script the way the server will, setting psql client features aside: each
 * time the parser stops, a COPY FROM STDIN before that place (its rows then follow
 * it) or a backslash at that place explains it; the feature is blanked out and the
 * rest read again. Stops at the first syntax error nothing explains.
 */
export function readScript(parser: StatementParser, script: string): ReadScript {
  let text = script;
  const features: ClientFeature[] = [];
  // Everything before this index is explained: COPY statements there are already reported.
  let settled = 0;
  // Each turn blanks at least one character, so this ends.
  for (;;) {
    let spans: StatementSpan[];
    try {
      spans = splitStatementsSync(parser, text);
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      const at = error.index;
      const copy = copyFromStdinBetween(parser, text, settled, at);
      if (copy) {
        features.push({ kind: 'copy-from-stdin', index: copy.start, command: 'COPY' });
        settled = endOfCopyData(text, copy.end);
        text = blank(text, copy.end, settled);
        continue;
      }
      if (text.charCodeAt(at) === BACKSLASH) {
        const command = metaCommandName(text, at);
        features.push({ kind: 'meta-command', index: at, command });
        text = blank(text, at, endOfLine(text, at));
        // `\g`, `\gset`… send the query before them, as a semicolon would: read the rest that way.
        if (SENDS_QUERY(command)) text = `${text.slice(0, at)};${text.slice(at + 1)}`;
        continue;
      }
      return { spans: null, features };
    }
    // A COPY FROM STDIN with no rows after it (or rows that happen to read as SQL).
    for (const span of spans) {
      if (span.start >= settled && isCopyFromStdin(span.node)) {
        const start = span.start + (text.slice(span.start).length - text.slice(span.start).trimStart().length);
        features.push({ kind: 'copy-from-stdin', index: start, command: 'COPY' });
      }
    }
    features.sort((a, b) => a.index - b.index);
    return { spans, features };
  }
}

const INCLUDES = new Set(['\\i', '\\ir', '\\include', '\\include_relative']);

/** What to tell the author about one feature, and where it is in `text`. */
export function describeClientFeature(text: string, feature: ClientFeature): { message: string; hint: string; line: number; column: number } {
  const { line, column } = lineColumnAtIndex(text, feature.index);
  if (feature.kind === 'copy-from-stdin') {
    return {
      line,
      column,
      message: 'COPY … FROM STDIN takes its rows from the client: a psql client feature, not SQL the server can run from a migration file',
      hint:
        'Write the rows as INSERT … VALUES (…), (…); development-only rows belong in a *_sample_data.sql file. ' +
        "COPY … FROM '<server file>' is not portable either: it reads a file on the database server.",
    };
  }
  const command = feature.command;
  const hint = INCLUDES.has(command)
    ? 'Files are not included into each other: put the statements of the other file in this one, or in their own numbered migration.'
    : command === '\\c' || command === '\\connect'
      ? 'Remove it: every migration runs on the database the runner connects to (DATABASE_URL).'
      : command === '\\copy'
        ? 'Write the rows as INSERT … VALUES (…), (…); development-only rows belong in a *_sample_data.sql file.'
        : 'Remove it: only SQL reaches the server (settings are SET …; psql variables such as :name do not exist there).';
  return { line, column, message: `${command} is a psql meta-command, not SQL (a psql client feature the server does not know)`, hint };
}
