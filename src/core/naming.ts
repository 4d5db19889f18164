// Migration file naming: what orders a file, and what breaks the convention.
// Pure: no I/O.

const CONVENTION = /^\d{3,}_[a-z0-9]+(?:_[a-z0-9]+)*\.sql$/;

/** The leading number of a migration filename, or null when it has none. */
export function leadingNumber(filename: string): bigint | null {
  let end = 0;
  while (end < filename.length && filename.charCodeAt(end) >= 48 && filename.charCodeAt(end) <= 57) end++;
  return end === 0 ? null : BigInt(filename.slice(0, end));
}

/** True when the name follows `NNN_snake_case.sql` (three or more digits). */
export function followsConvention(filename: string): boolean {
  return CONVENTION.test(filename);
}

/** A file number as the convention writes it: `7n` → `007` (longer numbers as they are). */
export function formatNumber(n: bigint): string {
  return String(n).padStart(3, '0');
}

/** `Add taskPriority` → `add_task_priority`: words joined by `_`, lower case, nothing else. */
export function toSnake(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Development-only data files: `*sample_data*` or `*sample-data*`. */
export function isSampleData(filename: string): boolean {
  return filename.includes('sample_data') || filename.includes('sample-data');
}

/** Orders two files of one folder: by number, then by name. */
export function compareByNumberThenName(a: { number: bigint | null; filename: string }, b: { number: bigint | null; filename: string }): number {
  const an = a.number ?? -1n;
  const bn = b.number ?? -1n;
  if (an !== bn) return an < bn ? -1 : 1;
  return a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0;
}

/** Names usable as a theme, plugin, entity or settings area: no path tricks. */
export function isSafeSegment(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[\\/\0]/.test(name) && !name.startsWith('.');
}
