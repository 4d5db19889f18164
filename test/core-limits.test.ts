// The limits' pure core: durations parsed exactly as PostgreSQL parses lock_timeout
// (the expected values were read from a PostgreSQL 15 server with SET / SHOW), the
// pause schedule between retries, and where a setting comes from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, formatDuration, limitsSql, parseDuration, resolveLimits, retryPauseMs } from '../src/core/limits.js';
import { MigrateError } from '../src/core/errors.js';

test('durations PostgreSQL accepts, in milliseconds as the server stores them', () => {
  const accepted: [string, number][] = [
    ['500ms', 500], ['5s', 5000], ['1min', 60_000], ['2h', 7_200_000], ['1d', 86_400_000],
    ['0', 0], ['200', 200], ['1.5s', 1500], ['.5s', 500], ['5.', 5], ['1.5min', 90_000], ['24.5h', 88_200_000],
    [' 5 s ', 5000], ['\t5s', 5000], ['5 ms', 5], ['1 min', 60_000], ['5min ', 300_000], ['+5s', 5000],
    // strtol's bases: 0x is hex, a leading 0 octal; a fraction or an exponent is decimal.
    ['010', 8], ['0x10', 16], ['0x1ms', 1], ['010.5', 10], ['0x1.8s', 1500], ['1e3', 1000], ['1E3', 1000], ['1e3ms', 1000],
    // Rounded as rint does (halves to even), after a fraction is rounded to the next smaller unit.
    ['1.5', 2], ['2.5', 2], ['3.5', 4], ['0.6', 1], ['0.4', 0], ['1500us', 2], ['0.5us', 0], ['1.0005ms', 1], ['0.0001s', 0], ['1e-1', 0], ['1e-5', 0],
    ['-0', 0], ['-0.4', 0], ['2147483647', 2_147_483_647],
  ];
  for (const [text, ms] of accepted) assert.deepEqual(parseDuration(text), { ok: true, ms }, JSON.stringify(text));
});

test('durations PostgreSQL refuses, each with a reason and a hint', () => {
  const refused = ['5S', '5sec', '5 msec', '1s5', '', '.', 'inf', 'nan', '08', '0x', '5e', 'abc', '1 fortnight', '-1', '-5s', '1e400', '1e-400', '2147483648', '99999999999999999999', '3000000000'];
  for (const text of refused) {
    const parsed = parseDuration(text);
    assert.equal(parsed.ok, false, JSON.stringify(text));
    if (!parsed.ok) {
      assert.ok(parsed.problem.includes(JSON.stringify(text)), parsed.problem);
      assert.ok(parsed.hint.length > 0);
    }
  }
  const negative = parseDuration('-1');
  assert.ok(!negative.ok && /negative/.test(negative.problem) && /0 to disable/.test(negative.hint));
  const large = parseDuration('2147483648');
  assert.ok(!large.ok && /too large/.test(large.problem));
});

test('formatDuration names a value in its largest exact unit', () => {
  assert.deepEqual([5000, 200, 60_000, 1500, 7_200_000, 0].map(formatDuration), ['5s', '200ms', '1min', '1500ms', '2h', '0 (disabled)']);
});

test('defaults: 5 s per attempt, 10 attempts within about 5 minutes in all, no statement_timeout', () => {
  assert.deepEqual(DEFAULT_LIMITS, { lockTimeoutMs: 5000, lockRetries: 9, statementTimeoutMs: 0 });
  const waits = (random: number) => {
    let total = (DEFAULT_LIMITS.lockRetries + 1) * DEFAULT_LIMITS.lockTimeoutMs;
    for (let retry = 1; retry <= DEFAULT_LIMITS.lockRetries; retry++) total += retryPauseMs(retry, DEFAULT_LIMITS.lockTimeoutMs, random);
    return total;
  };
  assert.equal(waits(0.5), 292_000, 'the schedule without jitter: 2, 4, 8, 16, 32, then 45 s pauses');
  assert.ok(waits(0) > 4 * 60_000 && waits(0.999_999) < 6 * 60_000, `${waits(0)} – ${waits(0.999_999)} ms`);
});

test('pauses grow, are capped, are jittered by at most a fifth, and scale with the lock timeout', () => {
  const middle = [1, 2, 3, 4, 5, 6, 7].map((r) => retryPauseMs(r, 200, 0.5));
  assert.deepEqual(middle, [80, 160, 320, 640, 1280, 1800, 1800]);
  for (let r = 1; r <= 12; r++) {
    const nominal = retryPauseMs(r, 5000, 0.5);
    assert.ok(retryPauseMs(r, 5000, 0) >= nominal * 0.8 - 1 && retryPauseMs(r, 5000, 0.999_999) <= nominal * 1.2 + 1);
  }
  // Without a lock_timeout of ours (a file's own NOWAIT), pauses follow the default's scale.
  assert.equal(retryPauseMs(1, 0, 0.5), retryPauseMs(1, DEFAULT_LIMITS.lockTimeoutMs, 0.5));
});

test('resolveLimits: given values win, strings or numbers; a flag is a USAGE error, a variable a CONFIG error', () => {
  assert.deepEqual(resolveLimits({}), DEFAULT_LIMITS);
  assert.deepEqual(
    resolveLimits({ lockTimeout: { value: '200ms', origin: '--lock-timeout' }, lockRetries: { value: '3', origin: '--lock-retries' }, statementTimeout: { value: 100, origin: 'the statementTimeout option' } }),
    { lockTimeoutMs: 200, lockRetries: 3, statementTimeoutMs: 100 },
  );
  assert.equal(resolveLimits({ lockTimeout: { value: '0', origin: '--lock-timeout' } }).lockTimeoutMs, 0, '0 disables');
  const failure = (given: Parameters<typeof resolveLimits>[0]) => {
    try {
      resolveLimits(given);
    } catch (error) {
      assert.ok(error instanceof MigrateError);
      return [error.code, error.exitCode, error.message] as const;
    }
    assert.fail('no error');
  };
  assert.deepEqual(failure({ lockTimeout: { value: '5S', origin: '--lock-timeout' } }).slice(0, 2), ['USAGE', 2]);
  assert.deepEqual(failure({ lockRetries: { value: 'x', origin: 'MIGRATE_LOCK_RETRIES' } }).slice(0, 2), ['CONFIG', 2]);
  assert.match(failure({ lockRetries: { value: '1001', origin: '--lock-retries' } })[2], /--lock-retries/);
  assert.match(failure({ lockRetries: { value: -1, origin: 'the lockRetries option' } })[2], /the lockRetries option/);
  assert.match(failure({ statementTimeout: { value: 1.5, origin: 'the statementTimeout option' } })[2], /whole number of milliseconds/);
});

test('limitsSql sets both limits for the transaction only', () => {
  assert.equal(limitsSql({ lockTimeoutMs: 200, lockRetries: 3, statementTimeoutMs: 0 }), 'SET LOCAL lock_timeout = 200;\nSET LOCAL statement_timeout = 0');
});
