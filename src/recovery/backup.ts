// `migrate --backup [path]`: a backup of the whole database, written after the
// plan found something pending and before anything is applied. A server is
// dumped by pg_dump (custom format); the embedded database by PGlite's own dump
// of its data directory. The file is owner-only, never where git would see it
// unless asked, and a failure stops the run with nothing applied.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/driver.js';
import type { DatabaseTarget } from '../db/connect.js';
import { MigrateError } from '../core/errors.js';
import { scrub, secretsOf } from '../core/redact.js';
import type { BackupInfo, BackupMethod, EventSink } from '../run/events.js';
import { findTool, libpqConnection, majorOfServerVersionNum, type FoundTool } from './pg-tools.js';
import { checkNotInRepo, displayPath, ensureDefaultBackupsDir, resolveRecoveryPath } from './paths.js';

/** What `--backup` asks for. */
export interface BackupRequest {
  /** Where to write the backup; null: `<root>/.tiered-migrate/backups/<db>-<UTC time>.<ext>`. */
  path: string | null;
  /** Write it even where git would see it (`--backup-in-repo`). */
  inRepo: boolean;
  /** Variables that may name the client programs (PG_DUMP); PATH is the process's. */
  env: Readonly<Record<string, string | undefined>>;
}

/** A backup checked and ready to be taken (the program found, the path allowed). */
export interface PreparedBackup {
  path: string;
  method: BackupMethod;
  take(emit: EventSink): Promise<BackupInfo>;
}

/** The program name shown in the restore command (what an app runs). */
const RESTORE_PROGRAM = 'npx tiered-migrate restore';

/** `20261202T010203Z`: sortable, and valid in every file system. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** A database's name, safe in a file name. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[.]+/, '') || 'database';
}

function defaultName(target: DatabaseTarget): string {
  if (target.kind === 'postgres') return safeName(decodeURIComponent(new URL(target.url).pathname.slice(1)) || new URL(target.url).username || 'postgres');
  if (target.kind === 'pglite') return safeName(target.dir ? path.basename(target.dir) : 'pglite-memory');
  return 'database';
}

/**
 * Where the backup goes, decided before the database is even opened: the path rule
 * of paths.ts, never an existing file, never where git would see it unless asked.
 */
export function backupPath(target: DatabaseTarget, root: string, request: BackupRequest, now = new Date()): string {
  const extension = target.kind === 'postgres' || (target.kind === 'client' && target.driver === 'pg') ? 'dump' : 'tar.gz';
  let file: string;
  if (request.path === null) {
    // Runners started in the same second (replicas at boot) each get a file of their own.
    const stem = path.join(ensureDefaultBackupsDir(root), `${defaultName(target)}-${timestamp(now)}`);
    file = `${stem}.${extension}`;
    for (let n = 2; existsSync(file); n++) file = `${stem}-${n}.${extension}`;
  } else file = resolveRecoveryPath(root, request.path, '--backup');
  if (existsSync(file)) throw new MigrateError('USAGE', `the backup file ${file} already exists: it is never overwritten`, { hint: 'Name a new file, or leave --backup without a path.' });
  checkNotInRepo(file, request.inRepo);
  return file;
}

/**
 * Checks, before anything is planned or applied, that a backup can be taken: the
 * database kind supports one, and pg_dump exists and is not older than the server.
 * Throws a CONFIG error (exit 2) otherwise. `file` comes from backupPath.
 */
export async function prepareBackup(db: Database, target: DatabaseTarget, file: string, root: string, request: BackupRequest): Promise<PreparedBackup> {
  let method: BackupMethod;
  let pgDump: FoundTool | null = null;
  if (target.kind === 'postgres') {
    method = 'pg_dump';
    const rows = await db.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`);
    pgDump = await findTool('pg_dump', majorOfServerVersionNum(Number(rows[0]?.n ?? 0)), request.env);
  } else if (db.dumpDataDir) {
    method = 'pglite';
  } else {
    throw new MigrateError('CONFIG', `--backup cannot back up ${target.display}: it needs a postgres:// URL or the embedded database, not a connection object`, {
      hint: 'Pass the database as a URL, or take the backup yourself before calling migrate.',
    });
  }
  const restoreCommand = `${RESTORE_PROGRAM} ${quoteForShell(displayPath(root, file))}`;

  return {
    path: file,
    method,
    async take(emit) {
      emit({ type: 'backup:start', path: file, method });
      const started = performance.now();
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        if (pgDump && target.kind === 'postgres') await dumpServer(pgDump, target.url, file);
        else await dumpEmbedded(db, file);
      } catch (error) {
        rmSync(file, { force: true });
        if (error instanceof MigrateError) throw error;
        throw new MigrateError('BACKUP_FAILED', `the backup could not be written to ${file}: ${(error as Error).message}`, { hint: 'Nothing was applied. Fix the cause (disk space, permissions) and run again.', cause: error });
      }
      const backup: BackupInfo = { path: file, method, bytes: statSync(file).size, durationMs: Math.round(performance.now() - started), restoreCommand };
      emit({ type: 'backup:done', backup });
      return backup;
    },
  };
}

/** A path as one shell word (quoted only when it needs to be). */
function quoteForShell(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** pg_dump --format=custom into `file` (created 0600, never overwritten); its stderr, scrubbed, on failure. */
async function dumpServer(tool: FoundTool, url: string, file: string): Promise<void> {
  const { dbname, env } = libpqConnection(url, process.env);
  const secrets = secretsOf(url);
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    const child = spawn(tool.command, ['--format=custom', `--dbname=${dbname}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.pipe(out);
    let exit: number | null | undefined;
    let closed = false;
    const settle = () => {
      if (exit === undefined || !closed) return;
      if (exit === 0) return resolve();
      reject(new MigrateError('BACKUP_FAILED', `pg_dump failed (exit ${exit}): ${scrub(stderr.trim(), secrets) || 'no message'}`, { hint: 'Nothing was applied. Fix the cause and run again.' }));
    };
    out.on('close', () => {
      closed = true;
      settle();
    });
    out.on('error', (error) => {
      child.kill();
      reject(error);
    });
    child.on('error', (error) => reject(error));
    child.on('close', (code) => {
      exit = code;
      settle();
    });
  });
}

/** PGlite's dump of its data directory (a gzipped tarball), after a checkpoint so the files hold every commit. */
async function dumpEmbedded(db: Database, file: string): Promise<void> {
  await db.exec('CHECKPOINT');
  const blob = await db.dumpDataDir!();
  writeFileSync(file, Buffer.from(await blob.arrayBuffer()), { flag: 'wx', mode: 0o600 });
}
