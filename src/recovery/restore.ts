// `restore <backup>`: puts the database back exactly as it is in a backup of
// `migrate --backup`, tracking rows included (they are in it). In two steps, so the
// command line can show what will be replaced and ask: prepareRestore reads the
// backup and the database and changes nothing; apply() replaces.
//
// A server: one transaction (psql --single-transaction) that takes the migration
// lock, drops every schema of the database (so objects created after the backup
// go too: pg_restore --clean would only drop what the dump holds), re-creates
// `public` as initdb makes it, and replays the dump. Any error rolls it all back.
// The embedded database: the backup is unpacked and opened beside the data folder
// first; only then, under the folder lock, are the folders swapped, and the old
// one is kept until the new one opens.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '../api/config.js';
import type { Database } from '../db/driver.js';
import { MIGRATION_LOCK_KEY } from '../db/driver.js';
import { isLockEntry, takeFolderForCommand } from '../db/folder-lock.js';
import { MigrateError } from '../core/errors.js';
import { scrub, secretsOf } from '../core/redact.js';
import { readTracking } from '../tracking/store.js';
import type { BackupMethod } from '../run/events.js';
import { findTool, libpqConnection, majorOfServerVersionNum, type FoundTool } from './pg-tools.js';
import { resolveRecoveryPath } from './paths.js';

export interface RestoreSummary {
  /** The database replaced, password redacted. */
  database: string;
  backup: {
    path: string;
    method: BackupMethod;
    bytes: number;
    /** When the backup was made: pg_dump's "Archive created at", else the file's time. */
    createdAt: string;
    /** Tracking rows in the backup (null: could not be counted). */
    trackingRows: number | null;
  };
  /** Tracking rows in the database now (0 without tracking tables). */
  trackingRowsNow: number | null;
  /** What apply() will remove before restoring (schemas of a server; the data folder of the embedded database). */
  replaces: string[];
}

export interface RestoreOutcome extends RestoreSummary {
  /** What was changed, one line each. */
  changed: string[];
  /** Tracking rows after the restore. */
  trackingRowsAfter: number | null;
}

export interface PreparedRestore {
  summary: RestoreSummary;
  /** Replaces the database with the backup. */
  apply(): Promise<RestoreOutcome>;
  /** Gives up, changing nothing (removes what prepare unpacked, releases the folder lock). */
  discard(): Promise<void>;
}

/** What kind of backup a file is, from its first bytes: pg_dump's custom format starts with PGDMP, a gzip with 1f 8b. */
function methodOf(file: string): BackupMethod | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    readSync(fd, head, 0, 5, 0);
    if (head.toString('latin1') === 'PGDMP') return 'pg_dump';
    if (head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
    return null;
  } finally {
    closeSync(fd);
  }
}

async function trackingRows(db: Database): Promise<number> {
  const state = await readTracking(db);
  return state.ready ? state.rows.length : 0;
}

/** Reads the backup and the database (changing nothing) and returns what a restore would do. */
export async function prepareRestore(config: ResolvedConfig, given: string): Promise<PreparedRestore> {
  const file = resolveRecoveryPath(config.project.root, given, 'the backup');
  let bytes: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    bytes = stat.size;
  } catch {
    throw new MigrateError('USAGE', `the backup ${file} does not exist or is not a file`, { hint: 'Give the path `migrate --backup` printed.' });
  }
  const method = methodOf(file);
  if (method === null) throw new MigrateError('USAGE', `${file} is not a backup of migrate --backup (neither pg_dump's custom format nor a PGlite tarball)`);
  const target = config.target;
  if (target.kind === 'postgres') {
    if (method !== 'pg_dump') throw new MigrateError('USAGE', `${file} is a backup of an embedded (PGlite) database; ${target.display} is a server`, { hint: 'Restore it with the embedded database selected (no DATABASE_URL), or give a pg_dump backup.' });
    return prepareServer(config, target.url, target.display, file, bytes);
  }
  if (target.kind === 'pglite' && target.dir) {
    if (method !== 'pglite') throw new MigrateError('USAGE', `${file} is a pg_dump backup of a server; ${target.display} is the embedded database`, { hint: 'Set DATABASE_URL (or MIGRATE_DATABASE_URL) to the server to restore it there.' });
    return prepareEmbedded(target.dir, target.display, file, bytes);
  }
  throw new MigrateError('CONFIG', `restore needs a postgres:// URL or an embedded database folder, not ${target.display}`);
}

// ---------------------------------------------------------------- server

/** User schemas of the database, as the catalog snapshot counts them (extension-owned ones left alone). */
const USER_SCHEMAS_SQL = `
  SELECT n.nspname::text AS name FROM pg_catalog.pg_namespace n
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')`;

/**
 * The first statements of the restore's transaction: the migration lock (as every
 * runner takes it), every user schema dropped, `public` re-created as initdb makes it
 * (pg_dump assumes it exists and writes only changes to it).
 */
function preludeSql(serverVersionNum: number): string {
  const publicSchema =
    serverVersionNum >= 150000
      ? `CREATE SCHEMA public AUTHORIZATION pg_database_owner;\nGRANT USAGE ON SCHEMA public TO PUBLIC;`
      : `CREATE SCHEMA public;\nGRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;`;
  return `SET client_min_messages = warning;
SELECT pg_catalog.pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});
DO $tiered_migrate_restore$
DECLARE s text;
BEGIN
  FOR s IN ${USER_SCHEMAS_SQL.trim()} LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END
$tiered_migrate_restore$;
${publicSchema}
COMMENT ON SCHEMA public IS 'standard public schema';`;
}

/** Runs a program to its end; its stdout and stderr (stdout only when `capture`). */
function runProgram(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Rows of the COPY blocks in pg_restore's script output (`COPY … FROM stdin;` … `\.`): the data format, not SQL. */
function copyRowCount(script: string): number {
  let rows = 0;
  let inCopy = false;
  for (const line of script.split('\n')) {
    if (inCopy) {
      if (line === '\\.') inCopy = false;
      else rows++;
    } else if (line.startsWith('COPY ') && line.endsWith(' FROM stdin;')) inCopy = true;
  }
  return rows;
}

async function prepareServer(config: ResolvedConfig, url: string, display: string, file: string, bytes: number): Promise<PreparedRestore> {
  const { openPostgres } = await import('../db/postgres.js');
  const db = await openPostgres(url);
  let versionNum: number;
  let now: number;
  let schemas: string[];
  try {
    versionNum = Number((await db.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`))[0]?.n ?? 0);
    now = await trackingRows(db);
    schemas = (await db.query<{ name: string }>(`${USER_SCHEMAS_SQL} ORDER BY 1`)).map((r) => r.name);
  } finally {
    await db.close();
  }
  const major = majorOfServerVersionNum(versionNum);
  const pgRestore = await findTool('pg_restore', major, config.env);
  const psql = await findTool('psql', major, config.env);
  const secrets = secretsOf(url);
  const { dbname, env } = libpqConnection(url, process.env);

  const listed = await runProgram(pgRestore.command, ['--list', file], env);
  if (listed.code !== 0) throw new MigrateError('USAGE', `${pgRestore.command} cannot read ${file}: ${listed.stderr.trim()}`, { hint: 'Is it a complete backup? A pg_restore of an older major version than the pg_dump that wrote it cannot read it.' });
  // The archive's header, as pg_restore prints it (comment lines of its listing).
  const createdAt = /^;\s+Archive created at (.+)$/m.exec(listed.stdout)?.[1]?.trim() ?? statSync(file).mtime.toISOString();
  const objects = listed.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).length;
  const data = await runProgram(pgRestore.command, ['--data-only', '--file=-', '--table=_migrations', '--table=_content_migrations', '--table=_entity_migrations', file], env);
  const inBackup = data.code === 0 ? copyRowCount(data.stdout) : null;

  const summary: RestoreSummary = {
    database: display,
    backup: { path: file, method: 'pg_dump', bytes, createdAt, trackingRows: inBackup },
    trackingRowsNow: now,
    replaces: schemas.length > 0 ? schemas.map((s) => `schema ${s} (dropped with everything in it)`) : ['(the database has no schema of its own)'],
  };
  return {
    summary,
    discard: async () => undefined,
    async apply() {
      await replayDump(pgRestore, psql, file, dbname, env, preludeSql(versionNum), (s) => scrub(s, secrets));
      const after = await openPostgres(url);
      let trackingRowsAfter: number;
      try {
        trackingRowsAfter = await trackingRows(after);
      } finally {
        await after.close();
      }
      return {
        ...summary,
        trackingRowsAfter,
        changed: [
          ...(schemas.length > 0 ? [`dropped schema${schemas.length === 1 ? '' : 's'} ${schemas.join(', ')}`] : []),
          `restored ${objects} object(s) of ${file} (made ${createdAt}) in one transaction`,
          `tracking rows: ${now} before, ${trackingRowsAfter} now`,
        ],
      };
    },
  };
}

/** pg_restore's script piped into `psql --single-transaction` after the prelude; any error rolls everything back. */
async function replayDump(pgRestore: FoundTool, psql: FoundTool, file: string, dbname: string, env: NodeJS.ProcessEnv, prelude: string, clean: (s: string) => string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const script = spawn(pgRestore.command, ['--file=-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const apply = spawn(psql.command, ['--no-psqlrc', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', `--dbname=${dbname}`, '-c', prelude, '-f', '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let scriptErr = '';
    let applyErr = '';
    script.stderr.on('data', (d) => (scriptErr += d));
    apply.stderr.on('data', (d) => (applyErr += d));
    // psql commits at the end of its input: it sees the end only once pg_restore has
    // written the whole script. A pg_restore that fails half-way (a truncated file)
    // kills psql instead, and the server rolls the open transaction back.
    script.stdout.pipe(apply.stdin, { end: false });
    // psql stops reading at the first error: the rest of the script has nowhere to go.
    apply.stdin.on('error', () => undefined);
    const codes: { script?: number | null; apply?: number | null } = {};
    const settle = () => {
      if (!('script' in codes) || !('apply' in codes)) return;
      if (codes.script === 0 && codes.apply === 0) return resolve();
      const why = clean((applyErr.trim() || scriptErr.trim() || `exit ${codes.apply ?? codes.script}`).split('\n').slice(0, 8).join('\n'));
      reject(new MigrateError('BACKUP_FAILED', `the restore failed and was rolled back: nothing was changed\n${why}`, { hint: 'A pg_restore error means the backup file is damaged or incomplete; a psql error names the statement (the role must own the schemas it replaces, or be a superuser).' }));
    };
    script.on('error', reject);
    apply.on('error', reject);
    script.on('close', (code) => {
      codes.script = code;
      if (code === 0) apply.stdin.end();
      else apply.kill('SIGKILL');
      settle();
    });
    apply.on('close', (code) => {
      codes.apply = code;
      settle();
    });
  });
}

// ---------------------------------------------------------------- embedded

/** Entries of the data folder that belong to the folder lock, not to the database. */

async function openTracked(dir: string, loadDataDir?: Blob): Promise<number> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { wrapPglite } = await import('../db/pglite.js');
  // No extensions: reading the tracking tables needs none, and opening does not check them.
  const instance = new PGlite(dir, loadDataDir ? { loadDataDir } : {});
  try {
    await instance.waitReady;
    return await trackingRows(wrapPglite(instance, { display: dir, close: async () => undefined }));
  } finally {
    await instance.close().catch(() => undefined);
  }
}

function moveEntries(from: string, to: string): void {
  for (const name of readdirSync(from)) if (!isLockEntry(name)) renameSync(path.join(from, name), path.join(to, name));
}

async function prepareEmbedded(dir: string, display: string, file: string, bytes: number): Promise<PreparedRestore> {
  const { embeddedExists } = await import('../db/pglite.js');
  mkdirSync(dir, { recursive: true });
  const release = await takeFolderForCommand(dir, ': the restore needs the database to itself');
  const token = randomBytes(6).toString('hex');
  // Beside the data folder, so that the swap is a rename on one file system.
  const staging = `${dir}.restore-${token}`;
  const cleanup = () => rmSync(staging, { recursive: true, force: true });
  try {
    const existed = embeddedExists(dir);
    const now = existed ? await openTracked(dir) : 0;
    mkdirSync(staging, { mode: 0o700 });
    let inBackup: number;
    try {
      inBackup = await openTracked(staging, new Blob([readFileSync(file)]));
    } catch (error) {
      throw new MigrateError('USAGE', `${file} cannot be opened as an embedded database: ${(error as Error).message}`, { hint: 'Is it a complete backup written by migrate --backup?', cause: error });
    }
    const summary: RestoreSummary = {
      database: display,
      backup: { path: file, method: 'pglite', bytes, createdAt: statSync(file).mtime.toISOString(), trackingRows: inBackup },
      trackingRowsNow: now,
      replaces: existed ? [`the embedded database folder ${dir}`] : [`(no database in ${dir} yet)`],
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      cleanup();
      release();
    };
    return {
      summary,
      async discard() {
        finish();
      },
      async apply() {
        const old = `${dir}.before-restore-${token}`;
        mkdirSync(old, { mode: 0o700 });
        try {
          moveEntries(dir, old);
          moveEntries(staging, dir);
          let trackingRowsAfter: number;
          try {
            trackingRowsAfter = await openTracked(dir);
          } catch (error) {
            // The restored folder does not open: put the old one back.
            for (const name of readdirSync(dir)) if (!isLockEntry(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
            moveEntries(old, dir);
            throw new MigrateError('BACKUP_FAILED', `the restored database did not open, so the previous one was put back: ${(error as Error).message}`, { cause: error });
          }
          rmSync(old, { recursive: true, force: true });
          return {
            ...summary,
            trackingRowsAfter,
            changed: [`replaced the embedded database ${dir} with ${file}`, `tracking rows: ${now} before, ${trackingRowsAfter} now`],
          };
        } finally {
          finish();
        }
      },
    };
  } catch (error) {
    cleanup();
    release();
    throw error;
  }
}
