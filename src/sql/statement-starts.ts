// A conservative lexical pre-filter: could the engine's pre-run checks find
// anything in this script: a statement beginning with a transaction-control
// keyword or with COPY, or a backslash outside strings and comments (a psql
// meta-command)? When it answers "no", the real parser (libpg_query: 40 ms to
// load, ~0.1 ms and tens of MB per large corpus) is not needed; when unsure it
// answers "yes" and the parser decides. It never decides that a statement IS one.

/** First words of the statements the checks look for: transaction control, and COPY (… FROM STDIN). */
const SUSPECT_WORDS = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'PREPARE', 'COPY']);

const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * Whether some statement of `sql` may start with BEGIN, COMMIT, END, ROLLBACK… or COPY,
 * or a backslash stands outside strings, identifiers and comments; true when unsure.
 */
export function mayNeedParser(sql: string): boolean {
  let i = 0;
  let atStatementStart = true;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\uFEFF') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      if (depth > 0) return true;
    } else if (c === "'") {
      // E'...' strings take backslash escapes; standard strings only double quotes.
      const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !(i > 1 && isWordPart(sql[i - 2]!));
      i++;
      for (;;) {
        if (i >= n) return true;
        if (escapes && sql[i] === '\\') {
          i += 2;
        } else if (sql[i] === "'") {
          if (sql[i + 1] === "'") i += 2;
          else break;
        } else {
          i++;
        }
      }
      i++;
      atStatementStart = false;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) return true;
      i = end + 1;
      while (sql[i] === '"') {
        const next = sql.indexOf('"', i + 1);
        if (next < 0) return true;
        i = next + 1;
      }
      atStatementStart = false;
    } else if (c === '$' && (sql[i + 1] === '$' || isWordStart(sql[i + 1] ?? ''))) {
      // $tag$ … $tag$ (a `$` followed by a digit is a parameter, not a quote).
      let j = i + 1;
      while (j < n && sql[j] !== '$' && isWordPart(sql[j]!)) j++;
      if (sql[j] !== '$') {
        i = j;
        atStatementStart = false;
        continue;
      }
      const tag = sql.slice(i, j + 1);
      const close = sql.indexOf(tag, j + 1);
      if (close < 0) return true;
      i = close + tag.length;
      atStatementStart = false;
    } else if (c === ';') {
      atStatementStart = true;
      i++;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql[j]!)) j++;
      if (atStatementStart && SUSPECT_WORDS.has(sql.slice(i, j).toUpperCase())) return true;
      atStatementStart = false;
      i = j;
    } else if (c === '\\') {
      return true; // a psql meta-command, or data after COPY FROM STDIN
    } else {
      atStatementStart = false;
      i++;
    }
  }
  return false;
}
