// The command line's two streams: passwords scrubbed from every line, lines of one
// burst written at once, stdout and stderr kept in order on a terminal, colour
// only where wanted; and the one printer of an error that stopped a command.
import { scrub } from '../core/redact.js';
import type { ErrorReport } from '../run/events.js';
import { lineWriter } from './line-writer.js';
import { colourWanted, makeStyle, type Style } from './reporters/style.js';

export interface Output {
  style: Style;
  /** A line on stdout. */
  out(line: string): void;
  /** A line on stderr. */
  err(line: string): void;
  /** Raw text on stdout (a JSON document), scrubbed. */
  raw(text: string): void;
  /**
   * A transient line at the bottom of a terminal (progress), replaced by the next one
   * and erased before any other line; null erases it. Nothing when stderr is not a TTY.
   */
  live(text: string | null): void;
  /** Passwords to scrub from everything written from now on. */
  addSecrets(secrets: readonly string[]): void;
  flush(): void;
}

/**
 * The emoji of the human output and the plain markers that replace them with
 * `--no-emoji` (or TERM=dumb). Emoji are the default everywhere, pipes and CI logs
 * included: they are the documented shape of a run, and every CI log shows UTF-8.
 */
const PLAIN_MARKERS: ReadonlyArray<readonly [string, string]> = [
  ['✅', '[ok]'], ['❌', '[error]'], ['⚠️', '[warn]'], ['ℹ️', '[info]'], ['🔄', '[run]'], ['⏭️', '[skip]'],
  ['🚀', '>>'], ['📋', '=='], ['🗄️', '[db]'], ['📂', '[core]'], ['📌', '[theme]'], ['🔌', '[plugins]'],
  ['🎨', '[theme]'], ['📦', '[plugin]'], ['📁', '[entity]'], ['📝', '[would run]'], ['🎉', '[done]'],
  ['🛠️', '[upgrade]'], ['📊', '[status]'], ['✏️', '[modified]'], ['❓', '[missing]'], ['💤', '[inactive]'],
  ['⏳', '[pending]'], ['🔎', '[verify]'], ['⏱️', '[time]'], ['💾', '[backup]'],
];

/** Replaces every emoji of PLAIN_MARKERS (with or without its variation selector). */
export function plainMarkers(text: string): string {
  let out = text;
  for (const [emoji, plain] of PLAIN_MARKERS) out = out.split(emoji).join(plain).split(`${plain}\uFE0F`).join(plain);
  return out;
}

export function makeOutput(options: { json: boolean; env: NodeJS.ProcessEnv; emoji?: boolean }): Output {
  const secrets: string[] = [];
  const emoji = (options.emoji ?? true) && options.env.TERM !== 'dumb';
  const clean = (t: string) => (emoji ? scrub(t, secrets) : plainMarkers(scrub(t, secrets)));
  const stdout = lineWriter(process.stdout, clean);
  const stderr = lineWriter(process.stderr, clean);
  const tty = Boolean(process.stderr.isTTY) && !options.json;
  let shown = false;
  const erase = () => {
    if (!shown) return;
    shown = false;
    process.stderr.write('\r\u001b[K');
  };
  return {
    live(text) {
      if (!tty) return;
      stdout.flush();
      stderr.flush();
      if (text === null) return erase();
      const width = Math.max((process.stderr.columns || 80) - 1, 20);
      process.stderr.write(`\r\u001b[K${clean(text).slice(0, width)}`);
      shown = true;
    },
    style: makeStyle(!options.json && colourWanted(process.stdout, options.env)),
    out(line) {
      erase();
      stderr.flush(); // keep the two streams in order on a terminal
      stdout.write(line);
    },
    err(line) {
      erase();
      stdout.flush();
      stderr.write(line);
    },
    raw(text) {
      stderr.flush();
      stdout.flush();
      process.stdout.write(clean(text));
    },
    addSecrets(more) {
      secrets.push(...more);
    },
    flush() {
      stdout.flush();
      stderr.flush();
    },
  };
}

/** The error that stopped a command, with its place in the file when it has one. */
export function printError(writeError: (line: string) => void, style: Style, error: ErrorReport): void {
  const where = error.file ? `${error.file}${error.line ? `:${error.line}${error.column ? `:${error.column}` : ''}` : ''}` : null;
  writeError('');
  writeError(style.red(`❌ ${error.sqlstate ? `ERROR ${error.sqlstate}: ` : ''}${error.message}`));
  if (where) writeError(`   at ${where}`);
  if (error.sourceLine !== null && error.sourceLine !== undefined && error.line) {
    const gutter = `${error.line} | `;
    writeError(`   ${gutter}${error.sourceLine}`);
    if (error.column) writeError(`   ${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(error.column - 1, 0))}${style.red('^')}`);
  }
  if (error.detail) writeError(`   DETAIL: ${error.detail}`);
  if (error.hint) writeError(error.sqlstate ? `   HINT: ${error.hint}` : `   → ${error.hint}`);
  if (error.fix) writeError(`   → ${error.fix}`);
  if (error.code === 'MIGRATION_FAILED' && error.rolledBack === false) writeError(style.dim('   Not rolled back (a -- migrate:no-transaction file) and not recorded: the hint says what stays applied.'));
  else if (error.code === 'MIGRATION_FAILED') writeError(style.dim(error.recorded === false && error.sqlstate === '55P03' ? '   The file was rolled back: nothing of it was applied and it is not recorded. Run again once the lock is free.' : error.recorded === false ? '   The file was rolled back: nothing of it was applied and it is not recorded. Fix it and run again.' : error.recorded ? '   This attempt was rolled back, but a tracking row for the file exists (written by another process): check what applied it.' : '   This attempt was rolled back: nothing of it was applied.'));
}
