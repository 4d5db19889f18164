// Places in a migration's text. PostgreSQL reports error positions as 1-based
// character (code point) positions, libpg_query reports parse-tree locations as
// 0-based UTF-8 byte offsets, JavaScript indexes UTF-16 units, and editors want a
// 1-based line and a column counted in characters. Every conversion between them
// lives here, for the engine and db:verify alike. Pure.

/** 1-based line and column; columns count characters (code points), as editors do. */
export interface Position {
  line: number;
  column: number;
}

/** A position with the text of its line, for error excerpts. */
export interface LineColumn extends Position {
  /** The text of that line, without its line ending. */
  text: string;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * A text with its line starts and UTF-8 byte offsets tabled (each on first use), so
 * that many conversions cost a binary search each: db:verify asks for hundreds of
 * places per file. Line endings: `\r\n`, `\n` and a lone `\r` each end a line.
 */
export class SourceText {
  readonly text: string;
  /** UTF-16 index where each line starts (line 1 at index 0). */
  private lineStarts: number[] | undefined;
  /** Byte offset of every UTF-16 index; null when the text is pure ASCII (offset = index). */
  private byteAt: Uint32Array | null | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** UTF-16 index of a UTF-8 byte offset (clamped to the text; mid-character offsets round up). */
  indexOfByte(byte: number): number {
    this.byteAt ??= byteTable(this.text);
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
    const starts = (this.lineStarts ??= lineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Line and column of a UTF-16 index (clamped to the text). */
  positionOfIndex(index: number): Position {
    const line = this.lineOf(index);
    const start = this.lineStarts![line - 1]!;
    let column = 1;
    for (let i = start; i < index && i < this.text.length; i++) {
      // The second half of a surrogate pair is not a character of its own.
      if (!(isLowSurrogate(this.text.charCodeAt(i)) && i > start && isHighSurrogate(this.text.charCodeAt(i - 1)))) column++;
    }
    return { line, column };
  }

  /** Line and column of a UTF-8 byte offset (a parse-tree location). */
  positionOfByte(byte: number): Position {
    return this.positionOfIndex(this.indexOfByte(byte));
  }

  /** Line, column and the text of the line of a UTF-16 index. */
  lineColumnOfIndex(index: number): LineColumn {
    const position = this.positionOfIndex(index);
    const start = this.lineStarts![position.line - 1]!;
    let end = start;
    while (end < this.text.length && this.text.charCodeAt(end) !== 10 && this.text.charCodeAt(end) !== 13) end++;
    return { ...position, text: this.text.slice(start, end) };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** Byte offset of every UTF-16 index (a low surrogate gets its pair's), or null for ASCII. */
function byteTable(text: string): Uint32Array | null {
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) if (text.charCodeAt(i) > 0x7f) ascii = false;
  if (ascii) return null;
  const table = new Uint32Array(text.length + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = bytes;
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (isHighSurrogate(c) && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A surrogate pair is one 4-byte character.
      table[i + 1] = bytes;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  table[text.length] = bytes;
  return table;
}

/**
 * Maps a 1-based PostgreSQL character position in `text` to a 1-based line and column.
 * PostgreSQL counts characters (code points), JavaScript counts UTF-16 units: astral
 * characters (emoji in comments) would otherwise shift every later position.
 */
export function lineColumnAtCharPosition(text: string, position: number): LineColumn {
  return lineColumnAtIndex(text, charPositionToIndex(text, position));
}

/** Converts a 1-based PostgreSQL character position into a 0-based UTF-16 index. */
export function charPositionToIndex(text: string, position: number): number {
  let remaining = Math.max(position - 1, 0);
  let index = 0;
  while (remaining > 0 && index < text.length) {
    const code = text.codePointAt(index)!;
    index += code > 0xffff ? 2 : 1;
    remaining--;
  }
  return index;
}

/** Maps a 0-based UTF-8 byte offset (what libpg_query reports) to line and column. */
export function lineColumnAtByteOffset(text: string, byteOffset: number): LineColumn {
  const source = new SourceText(text);
  return source.lineColumnOfIndex(source.indexOfByte(byteOffset));
}

/** Maps a 0-based UTF-16 index to line and column (columns count code points). */
export function lineColumnAtIndex(text: string, index: number): LineColumn {
  return new SourceText(text).lineColumnOfIndex(index);
}

/**
 * UTF-16 index where the 1-based `line` starts, counting lines from index `from` and
 * `\n` only, as PL/pgSQL numbers the lines of a function body; null when there are
 * fewer lines.
 */
export function indexOfLine(text: string, line: number, from = 0): number | null {
  let index = from;
  for (let n = 1; n < line; n++) {
    const newline = text.indexOf('\n', index);
    if (newline < 0) return null;
    index = newline + 1;
  }
  return index;
}
