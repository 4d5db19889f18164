// Pure helpers behind the input checks: where bytes stop being UTF-8, where psql
// client features sit in a script (read with the real parser), and what is wrong
// with a database URL (said without its password).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findInvalidUtf8, firstInvalidByte } from '../src/core/encoding.js';
import { loadParser } from '../src/sql/statements.js';
import { readScript } from '../src/sql/psql-features.js';
import { lineColumnAtIndex } from '../src/core/position.js';
import { databaseUrlProblem } from '../src/core/database-url.js';
import { redactUrl, scrub, secretsOf } from '../src/core/redact.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

test('valid UTF-8 (BOM, astral characters, CRLF) has no bad byte', () => {
  assert.equal(findInvalidUtf8(bytes([0xef, 0xbb, 0xbf], "SELECT 'é😀€';\r\n")), null);
  assert.equal(findInvalidUtf8(new Uint8Array(0)), null);
});

test('the first bad byte is found, with its line and column in characters (BOM not counted)', () => {
  // Latin-1 "café" on line 2, after a line with multi-byte characters.
  const latin1 = bytes([0xef, 0xbb, 0xbf], '-- ünïcode 😀\r\n', "SELECT 'caf", [0xe9], "';\n");
  const at = findInvalidUtf8(latin1)!;
  assert.equal(at.byte, 0xe9);
  assert.equal(at.byteOffset, latin1.indexOf(0xe9));
  assert.deepEqual([at.line, at.column], [2, 12]);
  assert.equal(at.lineText, "SELECT 'caf\uFFFD';");
  // A multi-byte character on the bad line counts once.
  assert.deepEqual((({ line, column }) => [line, column])(findInvalidUtf8(bytes('ab\nü😀', [0xff]))!), [2, 3]);
});

test('every kind of ill-formed sequence is bad at its first byte (Unicode table 3-7)', () => {
  const cases: [number[], number][] = [
    [[0x41, 0x80], 1], // lone continuation byte
    [[0xc0, 0xaf], 0], // overlong "/"
    [[0xc1, 0xbf], 0],
    [[0xe0, 0x80, 0xaf], 0], // overlong 3-byte
    [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
    [[0xf0, 0x80, 0x80, 0xaf], 0], // overlong 4-byte
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0xf5, 0x80, 0x80, 0x80], 0],
    [[0x41, 0xe2, 0x82], 1], // cut short by the end of the file
    [[0xe2, 0x82, 0x41], 0], // cut short by an ASCII byte
  ];
  for (const [input, offset] of cases) {
    assert.equal(firstInvalidByte(Uint8Array.from(input)), offset, input.map((b) => b.toString(16)).join(' '));
    assert.equal(findInvalidUtf8(Uint8Array.from(input))?.byteOffset, offset);
  }
  assert.equal(firstInvalidByte(bytes('€😀é')), bytes('€😀é').length);
});

test('psql meta-commands are found where the parser stops at their backslash, at a line start or after SQL', async () => {
  const parser = await loadParser();
  const script = "\\set ON_ERROR_STOP on\nSELECT 'a \\ b';\n  \\i  other.sql\nSELECT 1 \\gset\n-- \\echo in a comment\nCOMMIT;\n";
  const { spans, features } = readScript(parser, script);
  assert.deepEqual(
    features.map((f) => [f.kind, f.command, lineColumnAtIndex(script, f.index).line, lineColumnAtIndex(script, f.index).column]),
    [
      ['meta-command', '\\set', 1, 1],
      ['meta-command', '\\i', 3, 3],
      ['meta-command', '\\gset', 4, 10],
    ],
  );
  // With them set aside, the rest is read: COMMIT is still there for the transaction check.
  assert.ok(spans);
  assert.ok(spans.some((s) => 'TransactionStmt' in s.node));
});

test('COPY … FROM STDIN is found at its COPY; its rows (up to \\.) are set aside, whatever they hold', async () => {
  const parser = await loadParser();
  const script = [
    'CREATE TABLE t (a int, b text);',
    '/* rows */ copy t (a, b) from stdin with (format csv);',
    "1,'unterminated",
    '2,"x;y"',
    '\\.',
    'COPY t FROM STDIN;',
    '3\tthree',
    'COPY t TO STDOUT;',
    "COPY t FROM '/srv/data.csv';",
    'SELECT 1;',
  ].join('\n');
  const { spans, features } = readScript(parser, script);
  assert.deepEqual(
    features.map((f) => [f.kind, lineColumnAtIndex(script, f.index).line, lineColumnAtIndex(script, f.index).column]),
    [
      ['copy-from-stdin', 2, 12],
      ['copy-from-stdin', 6, 1],
    ],
  );
  // The second COPY's rows run to the end of the file (no \. line): nothing after it is read.
  assert.ok(spans);
  // Without rows, a COPY FROM STDIN still needs a client to send them.
  const bare = readScript(parser, 'SELECT 1;\nCOPY t FROM STDIN;');
  assert.deepEqual(bare.features.map((f) => [f.kind, lineColumnAtIndex('SELECT 1;\nCOPY t FROM STDIN;', f.index).line]), [['copy-from-stdin', 2]]);
});

test('a syntax error of its own is left to the server: no feature, no statements', async () => {
  const parser = await loadParser();
  assert.deepEqual(readScript(parser, 'SELEC 1;\n\\i x.sql\n'), { spans: null, features: [] });
  const after = readScript(parser, '\\i x.sql\nSELEC 1;\n');
  assert.equal(after.spans, null);
  assert.deepEqual(after.features.map((f) => f.command), ['\\i']);
});

test('database URLs: usable ones pass; a bad port or an unencoded password character is named, the password never', () => {
  for (const ok of [
    'postgres://u:p%23w%2Fx@db.example.com:5432/app?sslmode=require',
    'postgresql://u:p@ss@127.0.0.1/app', // the last "@" ends the user part: this one works as written
    'postgres://db.example.com/app?application_name=a@b',
    'postgres://u@[::1]:5432/app',
    'postgres:///app?host=/var/run/postgresql',
  ]) {
    assert.equal(databaseUrlProblem(ok), null, ok);
  }
  const cases: [string, RegExp][] = [
    ['postgres://u:s3cr#et-pw@h:5432/app', /percent-encoded/],
    ['postgres://u:s3cr/et-pw@h:5432/app', /percent-encoded/],
    ['postgres://u:s3cr?et-pw@h:5432/app', /percent-encoded/],
    ['postgres://u:12/s3cret-pw@h:5432/app', /percent-encoded/], // parses, as host "u" and port 12
    ['postgres://u:s@3cr#et-pw@h/app', /percent-encoded/], // parses, with "#et-pw@h/app" as a fragment
    ['postgres://u:s3cret-pw@h:5x32/app', /^the port "5x32" is not a number$/],
    ['postgres://u:s3cret-pw@h:70000/app', /^the port 70000 is out of range/],
    ['postgres://u:s3cret-pw/app', /^the port is not a number \(is the "@" before the host missing\?\)$/],
  ];
  for (const [url, pattern] of cases) {
    const found = databaseUrlProblem(url);
    assert.ok(found, url);
    assert.match(found.problem, pattern, url);
    for (const text of [found.problem, found.hint]) assert.ok(!/s3cr|et-pw/.test(text), `${url}: ${text}`);
  }
  assert.match(databaseUrlProblem('postgres://u:s3cr#et@h/app')!.hint, /@ as %40, # as %23, \/ as %2F/);
});

test('a URL that does not parse is still redacted up to its last "@", and its password scrubbed', () => {
  const url = 'postgres://app:s3cr#et/pw@db.example.com:5432/app';
  assert.equal(redactUrl(url), 'postgres://app:***@db.example.com:5432/app');
  assert.equal(scrub(`failed: ${url} (s3cr#et/pw)`, secretsOf(url)).includes('s3cr'), false);
});
