// A conservative lexer for two cheap questions about a script, asked where the
// real parser (libpg_query: 40 ms to load, ~0.1 ms and tens of MB per large
// corpus) would cost more than the answer is worth:
// - could the engine's pre-run checks find anything: a statement beginning with a
//   transaction-control keyword or with COPY, one that may have to run outside a
//   transaction (VACUUM, … CONCURRENTLY), or a backslash outside strings and
//   comments (a psql meta-command)? When it answers "no", the parser is not needed;
//   when unsure it answers "yes" and the parser decides. It never decides that a
//   statement IS one.
// - which extensions does it CREATE? (the embedded database registers only
//   those); "unsure" when the script mentions extensions in any other way.
// - which comments form its header? (directives such as `-- migrate:no-transaction`)

/**
 * First words of the statements the checks look for: transaction control, COPY (…
 * FROM STDIN), and statements that may have to run outside a transaction.
 */
const SUSPECT_WORDS = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'PREPARE', 'COPY', 'VACUUM', 'REINDEX', 'CLUSTER']);

/**
 * Words that, anywhere outside strings and comments, may make a statement one that
 * cannot run in a transaction block (… CONCURRENTLY, ALTER SYSTEM, CREATE DATABASE,
 * TABLESPACE, SUBSCRIPTION). A column of that name only costs a parse.
 */
const OUTSIDE_TRANSACTION_WORDS = new Set(['CONCURRENTLY', 'SYSTEM', 'DATABASE', 'TABLESPACE', 'SUBSCRIPTION']);

const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * A top-level token: a word (keyword or bare identifier), a quoted identifier
 * (its name, quotes undone), a string or dollar-quoted body (its raw text), `;`,
 * or anything else. Comments are skipped.
 */
type Token = { kind: 'word' | 'identifier' | 'string'; text: string } | { kind: 'end' | 'backslash' | 'other' };

/**
 * Calls `visit` for each top-level token until it returns true. Returns 'stopped'
 * when `visit` did, 'unterminated' for a string, quoted identifier, dollar body or
 * block comment that never closes (the caller is then unsure), else 'done'.
 * `onComment` receives each comment's text as written (delimiters included).
 */
function scanTokens(sql: string, visit: (token: Token) => boolean, onComment?: (text: string) => void): 'done' | 'stopped' | 'unterminated' {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\uFEFF') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      onComment?.(sql.slice(i, end < 0 ? n : end).replace(/\r$/, ''));
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      const start = i;
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
      if (depth > 0) return 'unterminated';
      onComment?.(sql.slice(start, i));
    } else if (c === "'") {
      // E'...' strings take backslash escapes; standard strings only double quotes.
      const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !(i > 1 && isWordPart(sql[i - 2]!));
      const start = i;
      i++;
      for (;;) {
        if (i >= n) return 'unterminated';
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
      if (visit({ kind: 'string', text: sql.slice(start, i) })) return 'stopped';
    } else if (c === '"') {
      const start = i;
      const end = sql.indexOf('"', i + 1);
      if (end < 0) return 'unterminated';
      i = end + 1;
      while (sql[i] === '"') {
        const next = sql.indexOf('"', i + 1);
        if (next < 0) return 'unterminated';
        i = next + 1;
      }
      if (visit({ kind: 'identifier', text: sql.slice(start + 1, i - 1).replaceAll('""', '"') })) return 'stopped';
    } else if (c === '$' && (sql[i + 1] === '$' || isWordStart(sql[i + 1] ?? ''))) {
      // $tag$ … $tag$ (a `$` followed by a digit is a parameter, not a quote).
      let j = i + 1;
      while (j < n && sql[j] !== '$' && isWordPart(sql[j]!)) j++;
      if (sql[j] !== '$') {
        i = j;
        if (visit({ kind: 'other' })) return 'stopped';
        continue;
      }
      const tag = sql.slice(i, j + 1);
      const close = sql.indexOf(tag, j + 1);
      if (close < 0) return 'unterminated';
      const body = sql.slice(j + 1, close);
      i = close + tag.length;
      if (visit({ kind: 'string', text: body })) return 'stopped';
    } else if (c === ';') {
      i++;
      if (visit({ kind: 'end' })) return 'stopped';
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql[j]!)) j++;
      const word = sql.slice(i, j);
      i = j;
      if (visit({ kind: 'word', text: word })) return 'stopped';
    } else if (c === '\\') {
      i++;
      if (visit({ kind: 'backslash' })) return 'stopped';
    } else {
      i++;
      if (visit({ kind: 'other' })) return 'stopped';
    }
  }
  return 'done';
}

/**
 * Whether some statement of `sql` may start with BEGIN, COMMIT, END, ROLLBACK… or COPY,
 * or a backslash stands outside strings, identifiers and comments; true when unsure.
 */
export function mayNeedParser(sql: string): boolean {
  let atStatementStart = true;
  const outcome = scanTokens(sql, (token) => {
    if (token.kind === 'end') {
      atStatementStart = true;
      return false;
    }
    // A psql meta-command, or data after COPY FROM STDIN.
    if (token.kind === 'backslash') return true;
    if (token.kind === 'word' && atStatementStart && SUSPECT_WORDS.has(token.text.toUpperCase())) return true;
    if (token.kind === 'word' && OUTSIDE_TRANSACTION_WORDS.has(token.text.toUpperCase())) return true;
    atStatementStart = false;
    return false;
  });
  return outcome !== 'done';
}

/**
 * The comments before the script's first token (its header), each as written. A
 * header comment that never closes ends the list (the parser reports it).
 */
export function headerComments(sql: string): string[] {
  const comments: string[] = [];
  scanTokens(sql, () => true, (text) => comments.push(text));
  return comments;
}

/** The extensions a script creates; `unsure` when it may create or use one some other way. */
export interface CreatedExtensions {
  /** Names as `CREATE EXTENSION` gives them (bare names lower-cased, quoted ones as written). */
  names: string[];
  /**
   * True when the script mentions extensions other than in a top-level
   * `CREATE EXTENSION [IF NOT EXISTS] name` (in a string or function body, e.g.
   * `EXECUTE 'CREATE EXTENSION …'`, or `ALTER`/`DROP EXTENSION`), or cannot be
   * read to the end: the caller must then assume any extension.
   */
  unsure: boolean;
}

/** Finds the top-level `CREATE EXTENSION` statements of `sql`, conservatively. */
export function createdExtensions(sql: string): CreatedExtensions {
  const names: string[] = [];
  let unsure = false;
  // The current statement's first tokens; how many of its words say EXTENSION; CASCADE.
  let first: Token[] = [];
  let extensionWords = 0;
  let cascade = false;
  const word = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : null);
  const endStatement = () => {
    if (word(first[0]) === 'CREATE' && word(first[1]) === 'EXTENSION') {
      const at = word(first[2]) === 'IF' ? 5 : 2;
      const guarded = at === 2 || (word(first[3]) === 'NOT' && word(first[4]) === 'EXISTS');
      const name = first[at];
      // CASCADE would create the extensions it depends on as well.
      if (!guarded || cascade || extensionWords > 1 || (name?.kind !== 'word' && name?.kind !== 'identifier')) unsure = true;
      else names.push(name.kind === 'word' ? name.text.toLowerCase() : name.text);
    } else if (extensionWords > 0) {
      // ALTER / DROP / COMMENT ON EXTENSION, or a column named extension: unsure.
      unsure = true;
    }
    first = [];
    extensionWords = 0;
    cascade = false;
  };
  const outcome = scanTokens(sql, (token) => {
    if (token.kind === 'end') {
      endStatement();
      return unsure;
    }
    // A string or function body that mentions extensions (EXECUTE 'CREATE EXTENSION …').
    if (token.kind === 'string' && token.text.toLowerCase().includes('extension')) {
      unsure = true;
      return true;
    }
    if (first.length < 6) first.push(token);
    const w = word(token);
    if (w === 'EXTENSION') extensionWords++;
    else if (w === 'CASCADE') cascade = true;
    return false;
  });
  if (outcome === 'done') endStatement();
  return { names: unsure ? [] : names, unsure: unsure || outcome !== 'done' };
}
