// header: the documented header, `-- Migration: <this file's name>`,
// `-- Description: …`, `-- Date: YYYY-MM-DD`, in the comments before the first
// statement. Each comment's text is read on its own (never the SQL around it).
import { atFile, type FileRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { Comment } from '../parse.js';

const FIELD = /^--\s*(Migration|Description|Date)\s*:\s*(.*?)\s*$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const headerRule: FileRule = (parsed) => {
  const { path, filename } = parsed.file;
  const fields = new Map<string, { value: string; comment: Comment }>();
  for (const comment of parsed.header) {
    const m = FIELD.exec(comment.text);
    const key = m?.[1]?.toLowerCase();
    if (m && key && !fields.has(key)) fields.set(key, { value: m[2] ?? '', comment });
  }
  const template = `-- Migration: ${filename}\n-- Description: <what this migration does>\n-- Date: YYYY-MM-DD`;
  if (fields.size === 0) {
    return [atFile('header', path, 'no header: the file does not start with -- Migration:, -- Description: and -- Date: lines', `Start the file with:\n${template}`)];
  }
  const findings: RawFinding[] = [];
  const at = (c: Comment) => ({ line: c.line, column: c.column });
  const migration = fields.get('migration');
  if (!migration) findings.push(atFile('header', path, 'header has no -- Migration: line', `Add -- Migration: ${filename} as the header's first line.`));
  else if (migration.value !== filename) {
    findings.push(atFile('header', path, `header says -- Migration: ${migration.value || '(nothing)'}, but the file is ${filename}`, `Write -- Migration: ${filename}.`, at(migration.comment)));
  }
  const description = fields.get('description');
  if (!description) findings.push(atFile('header', path, 'header has no -- Description: line', 'Add -- Description: <what this migration does> under -- Migration:.'));
  else if (description.value === '') findings.push(atFile('header', path, 'header has an empty -- Description:', 'Say in one line what this migration does.', at(description.comment)));
  const date = fields.get('date');
  if (!date) findings.push(atFile('header', path, 'header has no -- Date: line', 'Add -- Date: YYYY-MM-DD (the day the migration was written).'));
  else if (!isRealDate(date.value)) {
    findings.push(atFile('header', path, `header date "${date.value}" is not a date in YYYY-MM-DD form`, 'Write the date as YYYY-MM-DD, e.g. 2025-01-19.', at(date.comment)));
  }
  return findings;
};
