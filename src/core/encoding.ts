// Migration files are UTF-8. A file saved in another encoding (Latin-1 `café` is
// the single byte 0xe9) would decode with U+FFFD in place of its bad bytes and be
// stored that way: such a file is refused, at its first bad byte. Pure.
import { isUtf8 } from 'node:buffer';
import { lineColumnAtIndex } from './position.js';
import type { InvalidUtf8, MigrationFile } from './types.js';
import type { Problem } from './plan.js';


/** The first invalid byte of `bytes`, or null when they are valid UTF-8 (fast: native check first). */
export function findInvalidUtf8(bytes: Uint8Array): InvalidUtf8 | null {
  if (isUtf8(bytes)) return null;
  const byteOffset = firstInvalidByte(bytes);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const decode = (b: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
  // Everything before the bad byte is valid, so it decodes to a prefix of the whole.
  const index = decode(bytes.subarray(start, byteOffset)).length;
  const at = lineColumnAtIndex(decode(bytes.subarray(start)), index);
  return { byteOffset, byte: bytes[byteOffset]!, line: at.line, column: at.column, lineText: at.text };
}

/**
 * Offset of the first byte not in a well-formed sequence (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF; a sequence cut short by the
 * end of the file is bad at its first byte); `bytes.length` when all are valid.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < n && bytes[i]! >= lo && bytes[i]! <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    let len: number;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) len = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if (b === 0xed) len = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (b >= 0xe1 && b <= 0xef) len = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) len = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) len = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) len = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else len = 0;
    if (len === 0) return i;
    i += len;
  }
  return n;
}

/** What to tell the author (the place is in `invalid`), shared by the engine's refusal and db:verify's finding. */
export function describeInvalidUtf8(path: string, invalid: InvalidUtf8): { message: string; hint: string } {
  const hex = `0x${invalid.byte.toString(16).padStart(2, '0')}`;
  return {
    message: `not valid UTF-8 (byte ${hex}): migration files must be saved as UTF-8`,
    hint:
      `Convert the file to UTF-8 before it runs, e.g. iconv -f latin1 -t utf-8 ${path} > ${path}.utf8 && mv ${path}.utf8 ${path} ` +
      '(use -f cp1252 for a file from Windows), then check the line in an editor.',
  };
}

/** One error per file whose bytes are not UTF-8: refused before anything runs. */
export function encodingProblems(files: readonly MigrationFile[]): Problem[] {
  const problems: Problem[] = [];
  for (const file of files) {
    if (!file.invalidUtf8) continue;
    const invalid = file.invalidUtf8;
    const { message, hint } = describeInvalidUtf8(file.path, invalid);
    problems.push({ severity: 'error', code: 'encoding', file: file.path, message: `${file.path}:${invalid.line}:${invalid.column}: ${message}`, hint });
  }
  return problems;
}
