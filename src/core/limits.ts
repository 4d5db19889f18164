// How long a migration file may wait for a table lock, how often it is tried
// again when it could not get one, and how long one statement may run: the
// values, their defaults and PostgreSQL's own syntax for durations. Pure.
import { MigrateError } from './errors.js';

/** The limits every migration transaction runs under. */
export interface Limits {
  /** `lock_timeout` of each attempt, in ms; 0: wait without limit (PostgreSQL's meaning). */
  lockTimeoutMs: number;
  /** How many times a file is tried again after its lock_timeout expired (0: never). */
  lockRetries: number;
  /** `statement_timeout`, in ms; 0: none. */
  statementTimeoutMs: number;
}

/**
 * 5 s per attempt and 9 retries (10 attempts): with the pauses of retryPauseMs the
 * whole wait stays near 5 minutes; no statement timeout (a data migration may be
 * slow on purpose). The README says why these numbers.
 */
export const DEFAULT_LIMITS: Limits = { lockTimeoutMs: 5000, lockRetries: 9, statementTimeoutMs: 0 };

/** The largest value either timeout takes (PostgreSQL's INT_MAX milliseconds). */
const MAX_MS = 2_147_483_647;
/** A bound that keeps a typo (`--lock-retries 10000`) from retrying for days. */
const MAX_RETRIES = 1000;

/**
 * Time units of a millisecond setting, as PostgreSQL's GUC code lists them (the
 * order matters: a fractional value is rounded to a whole number of the next unit).
 */
const TIME_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
  ['us', 1 / 1000],
];
const UNITS_HINT = 'Valid units are "us", "ms", "s", "min", "h" and "d" (lower case); a number alone is milliseconds, 0 disables.';
/** PostgreSQL reads at most this many characters of a unit. */
const MAX_UNIT_LEN = 3;

export type DurationParse = { ok: true; ms: number } | { ok: false; problem: string; hint: string };

/** C's isspace in the "C" locale. */
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** rint() in the default rounding mode: halves go to the even neighbour. */
function rint(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/** strtol(text, &end, 0) from `start`: [value, end]; end === start when nothing was read. */
function strtol(text: string, start: number): { value: number; end: number; overflow: boolean } {
  let i = start;
  while (isSpace(text[i])) i++;
  let sign = 1;
  if (text[i] === '+' || text[i] === '-') sign = text[i++] === '-' ? -1 : 1;
  let base = 10;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && /[0-9a-fA-F]/.test(text[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (text[i] === '0') {
    base = 8;
  }
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const from = i;
  while (i < text.length && digits.test(text[i]!)) i++;
  if (i === from) return { value: 0, end: start, overflow: false };
  const value = sign * parseInt(text.slice(from, i), base);
  return { value, end: i, overflow: Math.abs(value) > 2 ** 63 - 1 };
}

/** strtod(text, &end) from `start` for the forms a duration can take (decimal, hex). */
function strtod(text: string, start: number): { value: number; end: number; range: boolean } {
  const rest = text.slice(start);
  const hex = /^[ \t\n\v\f\r]*([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/.exec(rest);
  if (hex && (hex[2]! + (hex[3] ?? '')).length > 0) {
    const mantissa = parseInt(hex[2]! || '0', 16) + (hex[3] ? parseInt(hex[3], 16) / 16 ** hex[3].length : 0);
    const value = (hex[1] === '-' ? -1 : 1) * mantissa * 2 ** Number(hex[4] ?? 0);
    return { value, end: start + hex[0].length, range: !Number.isFinite(value) };
  }
  const dec = /^[ \t\n\v\f\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  if (!dec) return { value: 0, end: start, range: false };
  // An exponent without digits is not part of the number ("5e" is 5 and a unit "e").
  const text2 = dec[0];
  const value = Number(text2.trim());
  const nonZero = /[1-9]/.test(text2.replace(/[eE].*$/, ''));
  // glibc reports ERANGE on overflow and on underflow to zero or a subnormal.
  const range = !Number.isFinite(value) || (nonZero && Math.abs(value) < 2.2250738585072014e-308);
  return { value, end: start + text2.length, range };
}

/**
 * Parses a duration exactly as PostgreSQL parses a millisecond setting such as
 * lock_timeout (guc.c parse_int with GUC_UNIT_MS): an integer (decimal, 0x hex or
 * 0-prefixed octal, as strtol reads it) or a decimal fraction, an optional unit
 * after optional spaces (`us` `ms` `s` `min` `h` `d`, case-sensitive), rounded to
 * whole milliseconds, between 0 and 2147483647. A bare number is milliseconds; 0
 * disables the timeout. `'0.4'` rounds to 0, as on the server.
 */
export function parseDuration(text: string): DurationParse {
  const invalid = (hint = UNITS_HINT): DurationParse => ({ ok: false, problem: `"${text}" is not a duration`, hint });
  let { value, end, overflow } = strtol(text, 0);
  if (text[end] === '.' || text[end] === 'e' || text[end] === 'E' || overflow) {
    const d = strtod(text, 0);
    if (d.range) return invalid();
    ({ value, end } = d);
  }
  if (end === 0) return invalid();
  while (isSpace(text[end])) end++;
  if (end < text.length) {
    let unit = '';
    while (end < text.length && !isSpace(text[end]) && unit.length < MAX_UNIT_LEN) unit += text[end++];
    while (isSpace(text[end])) end++;
    const at = TIME_UNITS.findIndex(([name]) => name === unit);
    if (end < text.length || at < 0) return invalid();
    let converted = value * TIME_UNITS[at]![1];
    const smaller = TIME_UNITS[at + 1];
    if (smaller) converted = rint(converted / smaller[1]) * smaller[1];
    value = converted;
  }
  value = rint(value);
  if (value > MAX_MS || value < -MAX_MS - 1) return { ok: false, problem: `"${text}" is too large`, hint: 'The largest duration is 2147483647ms (about 24 days).' };
  if (value < 0) return { ok: false, problem: `"${text}" is negative`, hint: 'Use 0 to disable the timeout.' };
  return { ok: true, ms: value === 0 ? 0 : value };
}

/** A duration in PostgreSQL's shortest exact unit (`5s`, `200ms`, `1min`), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0 (disabled)';
  for (const [name, size] of TIME_UNITS.slice(0, 5)) if (ms % size === 0) return `${ms / size}${name}`;
  return `${ms}ms`;
}

/** One setting as given: the value and where it came from (`--lock-timeout`, `MIGRATE_LOCK_TIMEOUT`…). */
export interface GivenSetting {
  value: string | number;
  origin: string;
}

/** The settings a caller gave; absent ones take their default. */
export interface GivenLimits {
  lockTimeout?: GivenSetting | undefined;
  lockRetries?: GivenSetting | undefined;
  statementTimeout?: GivenSetting | undefined;
}

/** Where a setting came from decides the error's code: a flag or option is USAGE, a variable CONFIG (both exit 2). */
function badSetting(given: GivenSetting, problem: string, hint: string): MigrateError {
  const code = /^[A-Z][A-Z0-9_]*$/.test(given.origin) ? 'CONFIG' : 'USAGE';
  return new MigrateError(code, `${given.origin}: ${problem}`, { hint });
}

/** A timeout: a number is milliseconds, a string PostgreSQL's syntax. */
function durationOf(given: GivenSetting): number {
  if (typeof given.value === 'number') {
    if (Number.isInteger(given.value) && given.value >= 0 && given.value <= MAX_MS) return given.value;
    throw badSetting(given, `${given.value} is not a whole number of milliseconds between 0 and ${MAX_MS}`, UNITS_HINT);
  }
  const parsed = parseDuration(given.value);
  if (!parsed.ok) throw badSetting(given, parsed.problem, parsed.hint);
  return parsed.ms;
}

function retriesOf(given: GivenSetting): number {
  const text = String(given.value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n > MAX_RETRIES) {
    throw badSetting(given, `"${given.value}" is not a number of retries`, `A whole number from 0 (no retry) to ${MAX_RETRIES}.`);
  }
  return n;
}

/** The limits from what was given (first of each wins), else the defaults. Throws USAGE / CONFIG. */
export function resolveLimits(given: GivenLimits): Limits {
  return {
    lockTimeoutMs: given.lockTimeout ? durationOf(given.lockTimeout) : DEFAULT_LIMITS.lockTimeoutMs,
    lockRetries: given.lockRetries ? retriesOf(given.lockRetries) : DEFAULT_LIMITS.lockRetries,
    statementTimeoutMs: given.statementTimeout ? durationOf(given.statementTimeout) : DEFAULT_LIMITS.statementTimeoutMs,
  };
}

/**
 * The statements that put `limits` on the current transaction (SET LOCAL: they end
 * with it, so they hold behind a transaction pooler and reach no later client).
 * Always both: a database or role default is replaced by the tool's own choice.
 */
export function limitsSql(limits: Limits): string {
  return `SET LOCAL lock_timeout = ${limits.lockTimeoutMs};\nSET LOCAL statement_timeout = ${limits.statementTimeoutMs}`;
}

/** The pause before a retry grows from this share of the lock timeout… */
const FIRST_PAUSE_SHARE = 0.4;
/** …doubling each time, up to this many lock timeouts. */
const PAUSE_CAP_SHARE = 9;
/** Pauses of a run without lock_timeout (a file's own NOWAIT or lock_timeout) scale with the default. */
const PAUSE_BASE_WHEN_DISABLED_MS = DEFAULT_LIMITS.lockTimeoutMs;

/**
 * The pause before retry `retry` (1-based): 0.4, 0.8, 1.6… lock timeouts, at most 9,
 * jittered by ±20 % (`random` in [0, 1)) so that runners and application jobs that
 * collided once do not collide again in step. Defaults: 2, 4, 8, 16, 32, 45, 45, 45,
 * 45 s, about 4 minutes of pauses plus up to 50 s of waiting.
 */
export function retryPauseMs(retry: number, lockTimeoutMs: number, random: number): number {
  const base = lockTimeoutMs > 0 ? lockTimeoutMs : PAUSE_BASE_WHEN_DISABLED_MS;
  const pause = Math.min(base * FIRST_PAUSE_SHARE * 2 ** (retry - 1), base * PAUSE_CAP_SHARE);
  return Math.round(pause * (0.8 + 0.4 * random));
}
