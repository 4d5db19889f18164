// Rows as an aligned text table (psql's default look), and cell values as text.

/** A cell as text: NULL, dates in ISO form, bytes in hex, JSON for objects. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}

/** JSON.stringify replacer for database values (int8 may come as bigint). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return value;
}

/** Columns padded to their widest cell, a rule under the header; numbers right-aligned. */
export function renderTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const cells = rows.map((row) => columns.map((_, i) => cellText(row[i]).replace(/\r?\n/g, '\\n')));
  const widths = columns.map((name, i) => Math.max(width(name), ...cells.map((r) => width(r[i]!))));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const pad = (text: string, i: number) => (numeric[i] ? ' '.repeat(widths[i]! - width(text)) + text : text + ' '.repeat(widths[i]! - width(text)));
  const line = (r: string[]) => ` ${r.map(pad).join(' | ')}`.trimEnd();
  return [
    ` ${columns.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join(' | ')}`.trimEnd(),
    widths.map((w) => '-'.repeat(w + 2)).join('+'),
    ...cells.map(line),
  ];
}

/** Display width in code points (good enough for table alignment). */
function width(text: string): number {
  return [...text].length;
}
