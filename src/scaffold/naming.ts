// From what the author typed to the parts of a new migration's name: the snake-case
// description, the header's sentence, the default table name. Pure. Refuses what
// would break NNN_snake_case.sql rather than guessing.
import { followsConvention, formatNumber, toSnake } from '../core/naming.js';

export type Named<T> = { ok: true; value: T } | { ok: false; error: string; hint: string };

/** Longest table name whose derived names (idx_<t>_created_at, <t>_set_updated_at…) fit PostgreSQL's 63 bytes. */
export const MAX_TABLE_NAME = 48;
const MAX_DESCRIPTION = 60;

// Re-exported only for src/scaffold/cli.ts, until it imports these from core/naming.ts.

export interface Description {
  /** For the file name: `add_task_priority`. */
  snake: string;
  /** For the header: `Add task priority`. */
  sentence: string;
}

export function describe(input: string): Named<Description> {
  const text = input.trim();
  const hint = 'Describe the change in a few words, e.g. npm run db:new -- add task priority';
  if (text === '') return { ok: false, error: 'a description is required', hint };
  if (!/^[A-Za-z0-9 _-]+$/.test(text)) {
    return { ok: false, error: `description ${JSON.stringify(text)} may only hold letters, digits, spaces, "-" and "_"`, hint };
  }
  if (/^\d{3,}[ _-]/.test(text)) {
    return { ok: false, error: `description ${JSON.stringify(text)} starts with a number`, hint: 'db:new numbers the file itself: give the description only.' };
  }
  const snake = toSnake(text);
  if (snake === '') return { ok: false, error: `description ${JSON.stringify(text)} has no letters or digits`, hint };
  if (snake.length > MAX_DESCRIPTION) return { ok: false, error: `description is ${snake.length} characters in snake case; keep it under ${MAX_DESCRIPTION + 1}`, hint };
  if (!followsConvention(`001_${snake}.sql`)) return { ok: false, error: `description ${JSON.stringify(text)} does not make a NNN_snake_case.sql name`, hint };
  const words = snake.replace(/_/g, ' ');
  return { ok: true, value: { snake, sentence: words.charAt(0).toUpperCase() + words.slice(1) } };
}

/** A table name the template can use unquoted in derived names. */
export function checkTableName(name: string, origin: string): Named<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    return { ok: false, error: `table name ${JSON.stringify(name)} (from ${origin}) is not lower-case snake case`, hint: 'Pass --table with letters, digits and _ only, e.g. --table invoices.' };
  }
  if (name.length > MAX_TABLE_NAME) {
    return { ok: false, error: `table name ${name} (from ${origin}) is longer than ${MAX_TABLE_NAME} characters: its index and trigger names would not fit PostgreSQL's 63`, hint: 'Pass a shorter --table.' };
  }
  return { ok: true, value: name };
}

/** The table a description suggests: `create invoices` → `invoices`. */
export function tableFromDescription(snake: string): string {
  for (const verb of ['create_', 'add_']) if (snake.startsWith(verb) && snake.length > verb.length) return snake.slice(verb.length);
  return snake;
}

/** Next number after the highest one in use (1 when there is none). */
export function nextNumber(numbers: Iterable<bigint | null>): bigint {
  let max = 0n;
  for (const n of numbers) if (n !== null && n > max) max = n;
  return max + 1n;
}
