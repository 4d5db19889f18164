// `reset`: drop a development database and migrate it anew. The embedded one
// loses its folder (under the folder lock); a server database loses its public
// schema and the tracking tables. Refused when NODE_ENV=production.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { runResolved, type MigrateOptions } from '../api/migrate.js';
import type { ResolvedConfig } from '../api/config.js';
import { MigrateError } from '../core/errors.js';
import { OWN_TABLE_NAMES } from '../core/tracking.js';
import { refuseProductionDatabase } from '../api/production.js';
import { MIGRATION_LOCK_KEY } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { isLockEntry, takeFolderForCommand } from '../db/folder-lock.js';
import type { RunResult } from '../run/events.js';
import { embeddedExists, instanceTarget, startPglite } from './embedded.js';
import { connectPg } from './pg-client.js';

export interface ResetOutcome {
  /** What was removed, one line per thing, in the order removed. */
  removed: string[];
  /** The migration run that rebuilt the database. */
  result: RunResult;
}

/** The name a user types to confirm a reset: the database of a URL, the folder of the embedded database. */
export function confirmationName(target: DatabaseTarget): string {
  if (target.kind === 'postgres') {
    const name = decodeURIComponent(new URL(target.url).pathname.replace(/^\//, ''));
    return name || new URL(target.url).username || 'postgres';
  }
  if (target.kind === 'pglite' && target.dir) return path.basename(target.dir);
  return target.display;
}

/** Refuses what must never be reset: production (NODE_ENV), a database in memory or one the caller opened. */
export function checkResettable(config: ResolvedConfig): void {
  if (config.env.NODE_ENV === 'production') {
    throw new MigrateError('CONFIG', 'refusing to reset: NODE_ENV=production', { hint: 'reset is for development databases only.' });
  }
  if (config.target.kind === 'pglite' && config.target.dir === null) {
    throw new MigrateError('USAGE', 'pglite:memory is new on every run: there is nothing to reset');
  }
  if (config.target.kind === 'client') throw new MigrateError('CONFIG', 'reset needs a URL or the embedded database, not a connection object');
}

/**
 * Drops the database's contents and migrates it anew with `migrate` options.
 * `onRemoved` hears what was removed before the migration starts.
 */
export async function resetDatabase(config: ResolvedConfig, migrate: MigrateOptions, onRemoved: (removed: string[]) => void = () => undefined): Promise<ResetOutcome> {
  checkResettable(config);
  const target = config.target;
  if (target.kind === 'pglite' && target.dir) return resetEmbedded(config, target.dir, migrate, onRemoved);
  if (target.kind === 'postgres') {
    await refuseProductionDatabase(config, 'reset');
    const removed = await dropServerSchema(target.url);
    onRemoved(removed);
    return { removed, result: await runResolved('migrate', config, migrate) };
  }
  throw new MigrateError('CONFIG', 'nothing to reset');
}

async function resetEmbedded(config: ResolvedConfig, dir: string, migrate: MigrateOptions, onRemoved: (removed: string[]) => void): Promise<ResetOutcome> {
  const removed: string[] = [];
  const existed = embeddedExists(dir);
  mkdirSync(dir, { recursive: true });
  const release = await takeFolderForCommand(dir, '');
  try {
    // Everything but our lock file goes: the folder stays locked while PostgreSQL re-creates it.
    const entries = readdirSync(dir).filter((name) => !isLockEntry(name));
    if (entries.length > 0) {
      const { files, bytes } = sizeOf(dir, entries);
      for (const name of entries) rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(`the embedded database ${dir}${existed ? '' : ' (not a complete database)'}: ${files} file(s), ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    }
    onRemoved(removed);
    const db = await startPglite(dir);
    try {
      const result = await runResolved('migrate', { ...config, target: instanceTarget(db, dir, `the embedded database ${dir}`) }, migrate);
      return { removed, result };
    } finally {
      await db.close();
    }
  } finally {
    release();
  }
}

function sizeOf(dir: string, names: readonly string[]): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of names) {
    const full = path.join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) {
      const inner = sizeOf(full, readdirSync(full));
      files += inner.files;
      bytes += inner.bytes;
    } else {
      files++;
      bytes += stat.size;
    }
  }
  return { files, bytes };
}

/** What public holds, by kind, for the report; then DROP SCHEMA public CASCADE, CREATE SCHEMA public, and the tracking tables wherever they are. */
async function dropServerSchema(url: string): Promise<string[]> {
  const connection = await connectPg(url, 'tiered-migrate reset');
  const { client, wrap } = connection;
  try {
    return await wrap(async () => {
      await client.query('BEGIN');
      try {
        // Serialise with migration runners (the same transaction-scoped lock they take).
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
        const removed: string[] = [];
        const tracking = await client.query<{ name: string }>(
          `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM unnest($1::text[]) AS t
             JOIN pg_class c ON c.oid = to_regclass(quote_ident(t)) JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname <> 'public'`,
          [[...OWN_TABLE_NAMES]],
        );
        const contents = await client.query<{ kind: string; names: string[] }>(`
          SELECT kind, array_agg(name ORDER BY name) AS names FROM (
            SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                     WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' END AS kind, c.relname::text AS name
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
            UNION ALL
            SELECT 'function', p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'type', t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'extension', e.extname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = 'public'
          ) o GROUP BY kind ORDER BY kind`);
        const outside = tracking.rows;
        for (const row of outside) await client.query(`DROP TABLE IF EXISTS ${row.name} CASCADE`);
        await client.query('DROP SCHEMA public CASCADE');
        // As initdb makes it: usable by every role (PostgreSQL 15 grants no CREATE to PUBLIC).
        await client.query('CREATE SCHEMA public');
        await client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
        await client.query('COMMIT');
        removed.push(`schema public (dropped and re-created empty)`);
        for (const { kind, names } of contents.rows) removed.push(`  ${names.length} ${kind}${names.length === 1 ? '' : 's'}: ${names.join(', ')}`);
        if (contents.rows.length === 0) removed.push('  (it was empty)');
        for (const row of outside) removed.push(`tracking table ${row.name}`);
        return removed;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  } finally {
    await connection.end();
  }
}
