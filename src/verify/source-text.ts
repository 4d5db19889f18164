// A migration's text with fast conversions from the parser's positions (UTF-8 byte
// offsets) to UTF-16 indexes and to line and column. The engine's helpers in
// core/position.ts walk from the start of the text on every call; verification asks
// for hundreds of positions per file, so this builds its tables once. Pure.
import type { Position } from './types.js';

export class SourceText {
  readonly text: string;
  /** UTF-16 index where each line starts (line 1 at index 0). */
  private readonly lineStarts: number[];
  /** Byte offset of every UTF-16 index, only when the text is not pure ASCII. */
  private readonly byteAt: Uint32Array | null;

  constructor(text: string) {
    this.text = text;
    const lineStarts = [0];
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) ascii = false;
      // \r\n, \n and a lone \r each end a line, as in core/position.ts.
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lineStarts.push(i + 1);
    }
    this.lineStarts = lineStarts;
    this.byteAt = ascii ? null : byteTable(text);
  }

  /** Total length of the text in UTF-8 bytes. */
  get byteLength(): number {
    return this.byteAt ? this.byteAt[this.text.length]! : this.text.length;
  }

  /** UTF-16 index of a UTF-8 byte offset (clamped to the text). */
  indexOfByte(byte: number): number {
    if (!this.byteAt) return Math.max(0, Math.min(byte, this.text.length));
    const table = this.byteAt;
    let lo = 0;
    let hi = this.text.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (table[mid]! < byte) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** 1-based line of a UTF-16 index. */
  lineOf(index: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** UTF-16 index where a 1-based line starts (the end of the text past the last line). */
  lineStart(line: number): number {
    return this.lineStarts[line - 1] ?? this.text.length;
  }

  positionOfIndex(index: number): Position {
    const line = this.lineOf(index);
    const start = this.lineStarts[line - 1]!;
    let column = 1;
    for (let i = start; i < index && i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      // The second half of a surrogate pair is not a character of its own.
      if (c < 0xdc00 || c > 0xdfff) column++;
    }
    return { line, column };
  }

  positionOfByte(byte: number): Position {
    return this.positionOfIndex(this.indexOfByte(byte));
  }
}

function byteTable(text: string): Uint32Array {
  const table = new Uint32Array(text.length + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = bytes;
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair is one 4-byte character; its low half gets the same offset + 4.
      table[i + 1] = bytes;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  table[text.length] = bytes;
  return table;
}
