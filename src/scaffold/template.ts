// The documented standard template (database-migrations: "Standard Structure"):
// header, TABLES / INDEXES / RLS / TRIGGERS sections, the standard fields, an owner
// policy for each command (each preceded by DROP POLICY IF EXISTS) and the
// "updatedAt" trigger. A file made from it passes db:verify as it is. Pure.

export interface TemplateInput {
  filename: string;
  /** The header's one-line description. */
  sentence: string;
  /** YYYY-MM-DD. */
  date: string;
  table: string;
  /** Set for entity migrations: adds the `-- Entity:` header line. */
  entity: string | null;
}

const banner = (title: string) => ['-- ============================================', `-- ${title}`, '-- ============================================'];

/** A day as YYYY-MM-DD, in the author's time zone. */
export function isoDate(day: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

function header(input: TemplateInput): string[] {
  return [
    `-- Migration: ${input.filename}`,
    `-- Description: ${input.sentence}`,
    `-- Date: ${input.date}`,
    ...(input.entity ? [`-- Entity: ${input.entity}`] : []),
  ];
}

/** The standard template for a new user-owned table. */
export function tableTemplate(input: TemplateInput): string {
  const t = input.table;
  const q = `"${t}"`;
  const owner = '"userId" = public.get_auth_user_id()';
  const policy = (command: string, suffix: string, clauses: string[]) => [
    `DROP POLICY IF EXISTS ${t}_${suffix} ON ${q};`,
    `CREATE POLICY ${t}_${suffix} ON ${q}`,
    `  FOR ${command}`,
    '  TO authenticated',
    ...clauses.map((c) => `  ${c}`),
  ];
  const lines = [
    ...header(input),
    '',
    ...banner('TABLES'),
    `CREATE TABLE IF NOT EXISTS ${q} (`,
    '  id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,',
    '  "userId" TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,',
    '  -- Custom fields',
    '  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),',
    '  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()',
    ');',
    '',
    ...banner('INDEXES'),
    `CREATE INDEX IF NOT EXISTS idx_${t}_user_id`,
    `  ON ${q}("userId");`,
    '',
    `CREATE INDEX IF NOT EXISTS idx_${t}_created_at`,
    `  ON ${q}("createdAt");`,
    '',
    ...banner('RLS (Row-Level Security)'),
    `ALTER TABLE ${q} ENABLE ROW LEVEL SECURITY;`,
    '',
    ...policy('SELECT', 'select_own', [`USING (${owner});`]),
    '',
    ...policy('INSERT', 'insert_own', [`WITH CHECK (${owner});`]),
    '',
    ...policy('UPDATE', 'update_own', [`USING (${owner})`, `WITH CHECK (${owner});`]),
    '',
    ...policy('DELETE', 'delete_own', [`USING (${owner});`]),
    '',
    ...banner('TRIGGERS'),
    `DROP TRIGGER IF EXISTS ${t}_set_updated_at ON ${q};`,
    `CREATE TRIGGER ${t}_set_updated_at`,
    `  BEFORE UPDATE ON ${q}`,
    '  FOR EACH ROW',
    '  EXECUTE FUNCTION public.set_updated_at();',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * A change to a table an earlier file already creates: the idempotent add-column
 * pattern, since CREATE TABLE IF NOT EXISTS would do nothing where the table exists.
 */
export function addColumnTemplate(input: TemplateInput & { column: string; createdIn: string }): string {
  const q = `"${input.table}"`;
  const lines = [
    ...header(input),
    '',
    ...banner('COLUMNS'),
    `-- ${q} already exists: ${input.createdIn} creates it, and a`,
    '-- second CREATE TABLE IF NOT EXISTS would do nothing. Add each new column with',
    '-- ADD COLUMN IF NOT EXISTS so the file can run again.',
    `ALTER TABLE ${q} ADD COLUMN IF NOT EXISTS "${input.column}" TEXT;`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * A `-- migrate:no-transaction` file (`db:new --no-transaction`): a concurrent index
 * build, which cannot run in a transaction. Each statement re-runnable: a failure
 * keeps the statements before it, and the next run starts the file again.
 */
export function concurrentIndexTemplate(input: TemplateInput & { column: string }): string {
  const q = `"${input.table}"`;
  const lines = [
    ...header(input),
    '-- migrate:no-transaction',
    '',
    '-- Runs outside a transaction, one statement at a time: CREATE INDEX CONCURRENTLY',
    '-- builds the index without blocking writes. A statement that fails leaves the',
    '-- ones before it applied and the file unrecorded; the next run starts the file',
    '-- again from its first statement (and rebuilds an INVALID index a failed build',
    '-- left behind), so keep every statement re-runnable: IF NOT EXISTS / IF EXISTS.',
    '-- Keep table changes in ordinary files: here, only what needs no transaction.',
    ...banner('INDEXES'),
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_${input.table}_${input.column}`,
    `  ON ${q}("${input.column}");`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The down file of a concurrent index file. A down file runs in a transaction (with the
 * removal of its row), where DROP INDEX CONCURRENTLY cannot: a plain DROP takes the
 * table's lock for the moment it needs, which is short for a drop.
 */
export function concurrentIndexDownTemplate(input: TemplateInput & { column: string }, downFilename: string): string {
  return `-- ${downFilename}: undoes the concurrent index file (db:rollback runs it in a transaction).\nDROP INDEX IF EXISTS idx_${input.table}_${input.column};\n`;
}

/** A `*_sample_data` file: development rows only, so no schema in it. */
export function sampleDataTemplate(input: TemplateInput): string {
  const lines = [
    ...header(input),
    '',
    '-- Development data: the engine skips *_sample_data files when NODE_ENV=production.',
    '-- Find related rows by natural keys (email, slug) rather than hard-coded ids, and',
    '-- end each INSERT with ON CONFLICT … DO NOTHING so the file can run again.',
    `-- INSERT INTO "${input.table}" ("userId", …)`,
    `-- SELECT u.id, … FROM "user" u WHERE u.email = 'alice@example.com'`,
    '-- ON CONFLICT DO NOTHING;',
  ];
  return `${lines.join('\n')}\n`;
}

/** The header of a down file: which migration it undoes. */
function downHeader(input: TemplateInput, downFilename: string): string[] {
  return [
    `-- Down: ${downFilename} (undoes ${input.filename}; run by db:rollback, never by db:migrate)`,
    `-- Description: Undo: ${input.sentence}`,
    `-- Date: ${input.date}`,
    ...(input.entity ? [`-- Entity: ${input.entity}`] : []),
  ];
}

/**
 * The down file of tableTemplate: drops what it creates, last first (trigger,
 * policies, indexes, table), each with IF EXISTS so the file can run again. Dropping
 * the table would take the rest with it; each is named so that a table kept on
 * purpose (delete its DROP TABLE line) loses only what the migration added.
 */
export function tableDownTemplate(input: TemplateInput, downFilename: string): string {
  const t = input.table;
  const q = `"${t}"`;
  const lines = [
    ...downHeader(input, downFilename),
    '',
    ...banner('TRIGGERS'),
    `DROP TRIGGER IF EXISTS ${t}_set_updated_at ON ${q};`,
    '',
    ...banner('RLS (Row-Level Security)'),
    ...['delete_own', 'update_own', 'insert_own', 'select_own'].map((suffix) => `DROP POLICY IF EXISTS ${t}_${suffix} ON ${q};`),
    '',
    ...banner('INDEXES'),
    `DROP INDEX IF EXISTS idx_${t}_created_at;`,
    `DROP INDEX IF EXISTS idx_${t}_user_id;`,
    '',
    ...banner('TABLES'),
    '-- Every row of the table is lost: back the database up before rolling back in production.',
    `DROP TABLE IF EXISTS ${q};`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The down file of addColumnTemplate: drops the column it adds. */
export function addColumnDownTemplate(input: TemplateInput & { column: string }, downFilename: string): string {
  const lines = [
    ...downHeader(input, downFilename),
    '',
    ...banner('COLUMNS'),
    `ALTER TABLE IF EXISTS "${input.table}" DROP COLUMN IF EXISTS "${input.column}";`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The down file of sampleDataTemplate: deletes the rows it inserts (to be written with them). */
export function sampleDataDownTemplate(input: TemplateInput, downFilename: string): string {
  const lines = [
    ...downHeader(input, downFilename),
    '',
    '-- Delete the rows the sample data file inserts, found by the same natural keys:',
    `-- DELETE FROM "${input.table}" WHERE "userId" IN (SELECT id FROM "user" WHERE email = 'alice@example.com');`,
  ];
  return `${lines.join('\n')}\n`;
}
