// `sql`: one statement (or a script: the last result is returned) on the
// configured database, with its columns in order. The embedded database is
// opened only when it exists: querying must never create one.
import { MigrateError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { DatabaseTarget } from '../db/connect.js';
import { acquireFolderLock } from '../db/folder-lock.js';
import { isServerError, toDatabaseError } from '../db/postgres-error.js';
import { embeddedExists, startPglite } from './embedded.js';
import { connectPg } from './pg-client.js';

/** The last result of the statement(s): column names in order, rows as arrays. */
export interface StatementResult {
  /** The database it ran on, safe to print. */
  database: string;
  /** The command tag's verb (`SELECT`, `INSERT`…), when the driver reports it. */
  command: string | null;
  columns: string[];
  rows: unknown[][];
  /** Rows returned or affected. */
  rowCount: number | null;
}

/** Runs `sql` on `target`. Server errors reject as DatabaseError (message, SQLSTATE, position in `sql`). */
export async function runStatement(target: DatabaseTarget, sql: string): Promise<StatementResult> {
  if (target.kind === 'postgres') return onServer(target.url, sql);
  if (target.kind === 'pglite') {
    if (target.dir === null) throw new MigrateError('USAGE', 'pglite:memory is a new, empty database on every run: there is nothing to query', { hint: 'Query the embedded database in a folder (pglite:<dir>, default .pglite) or a server.' });
    return onEmbedded(target.dir, sql);
  }
  throw new MigrateError('CONFIG', 'sql runs on a URL or the embedded database, not on a connection object');
}

async function onEmbedded(dir: string, sql: string): Promise<StatementResult> {
  if (!embeddedExists(dir)) {
    throw new MigrateError('CONFIG', `there is no embedded database at ${dir}`, {
      hint: 'Create it with `tiered-migrate migrate` (or `tiered-migrate dev`), or set DATABASE_URL to query a server.',
    });
  }
  let release: () => void;
  try {
    release = await acquireFolderLock(dir, 3_000);
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    throw new MigrateError('CONNECTION', error.message, {
      hint: 'When `tiered-migrate dev` serves it, query it through the server: DATABASE_URL=<the URL dev printed> tiered-migrate sql "…".',
      cause: error,
    });
  }
  try {
    const db = await startPglite(dir);
    try {
      const results = await db.exec(sql, { rowMode: 'array' });
      const last = results.at(-1);
      return {
        database: `pglite:${dir}`,
        command: null,
        columns: last?.fields.map((f) => f.name) ?? [],
        rows: (last?.rows ?? []) as unknown[][],
        rowCount: last ? (last.fields.length > 0 ? last.rows.length : (last.affectedRows ?? null)) : null,
      };
    } catch (error) {
      if (isServerError(error)) throw toDatabaseError(error, (s) => s);
      throw error;
    } finally {
      await db.close();
    }
  } finally {
    release();
  }
}

async function onServer(url: string, sql: string): Promise<StatementResult> {
  const connection = await connectPg(url, 'tiered-migrate sql');
  try {
    // No parameters: the simple protocol, so a script of several statements runs too.
    const answer = (await connection.wrap(() => connection.client.query({ text: sql, rowMode: 'array' }))) as unknown;
    const results = (Array.isArray(answer) ? answer : [answer]) as { command: string | null; fields: { name: string }[] | null; rows: unknown[][]; rowCount: number | null }[];
    const last = results.at(-1);
    return {
      database: redactUrl(url),
      command: last?.command ?? null,
      columns: (last?.fields ?? []).map((f) => f.name),
      rows: last?.rows ?? [],
      rowCount: last?.rowCount ?? null,
    };
  } finally {
    await connection.end();
  }
}
