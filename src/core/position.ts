// PostgreSQL reports error positions as 1-based character offsets into the
// query text it received; editors want line and column. Pure.

export interface LineColumn {
  line: number;
  column: number;
  /** The text of that line, without its line ending. */
  text: string;
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
  return lineColumnAtIndex(text, byteOffsetToIndex(text, byteOffset));
}

/** Maps a 0-based UTF-16 index to line and column (columns count code points). */
export function lineColumnAtIndex(text: string, index: number): LineColumn {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  let lineEnd = lineStart;
  while (lineEnd < text.length && text.charCodeAt(lineEnd) !== 10 && text.charCodeAt(lineEnd) !== 13) lineEnd++;
  const column = [...text.slice(lineStart, Math.min(index, text.length))].length + 1;
  return { line, column, text: text.slice(lineStart, lineEnd) };
}

/** Converts a 0-based UTF-8 byte offset into a 0-based UTF-16 index. */
export function byteOffsetToIndex(text: string, byteOffset: number): number {
  let bytes = 0;
  let index = 0;
  while (bytes < byteOffset && index < text.length) {
    const code = text.codePointAt(index)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    index += code > 0xffff ? 2 : 1;
  }
  return index;
}
