// What repair and baseline share: naming a migration from the command line (a
// path in the project, or a bare filename), and reading the tracking rows under
// the migration lock with the tables prepared, without keeping what was prepared.
import path from 'node:path';
import type { Database, TransactionQueryable } from '../db/driver.js';
import type { MigrationFile, Source, TrackedRow } from '../core/types.js';
import type { Discovery } from '../discover/project.js';
import { MigrateError } from '../core/errors.js';
import { allEntityOrigins } from '../discover/entity-origins.js';
import type { ResolvedConfig } from '../api/config.js';
import { openDatabase } from '../db/connect.js';
import { embeddedExists } from '../db/pglite.js';
import { ensureTrackingSchema, readTracking } from '../tracking/store.js';
import { readHistory, type HistoryRecord } from '../tracking/history.js';

/** A migration named on the command line: its folder and filename, and the file when it is on disk. */
export interface NamedMigration {
  source: Source;
  filename: string;
  /** Relative to the project root, `/` separators. */
  path: string;
  /** The discovered file; null when it is gone from disk (its row can still be forgotten). */
  file: MigrationFile | null;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/**
 * Resolves `name`: a path (relative to the project root, or absolute) of a file in a
 * folder of the active setup, or a bare filename that names exactly one discovered
 * file. Refuses a path outside the root, and a bare name several files share
 * (listing them). `allowGone`: a path may name a file no longer on disk.
 */
export function resolveMigration(discovery: Discovery, name: string, allowGone: boolean): NamedMigration {
  const root = discovery.root;
  const hint = 'Name the file by its path from the project root, e.g. contents/themes/<theme>/migrations/001_x.sql.';
  if (!name.includes('/') && !name.includes(path.sep)) {
    const matches = discovery.files.filter((f) => f.filename === name);
    if (matches.length === 1) return named(matches[0]!);
    if (matches.length === 0) throw new MigrateError('USAGE', `no migration of the active setup is named ${name}`, { hint });
    throw new MigrateError('USAGE', `${name} names ${matches.length} migrations: ${matches.map((f) => f.path).join(', ')}`, {
      hint: 'Name one of them by its path.',
    });
  }
  const full = path.resolve(root, name);
  const rel = toPosix(path.relative(root, full));
  if (rel === '' || rel.startsWith('../') || rel === '..' || path.isAbsolute(rel)) {
    throw new MigrateError('USAGE', `${name} is outside the project root (${root})`, { hint });
  }
  const file = discovery.files.find((f) => f.path === rel);
  if (file) return named(file);
  const dir = path.posix.dirname(rel);
  const source = discovery.sources.find((s) => s.dir === dir);
  if (!source) {
    throw new MigrateError('USAGE', `${rel} is not in a migration folder of the active setup (theme ${discovery.theme})`, { hint });
  }
  if (!allowGone) throw new MigrateError('USAGE', `${rel} does not exist`, { hint });
  return { source, filename: path.posix.basename(rel), path: rel, file: null };
}

function named(file: MigrationFile): NamedMigration {
  return { source: file.source, filename: file.filename, path: file.path, file };
}

/** Thrown to roll back a look taken under the lock. */
class LookOnly extends Error {}

/**
 * Runs `fn` in a transaction under the exclusive migration lock, with the tracking
 * tables created or upgraded and their rows read. `keep: false` rolls everything
 * back (a look: what `fn` returns is still returned); `keep: true` commits.
 */
export async function underLock<T>(
  db: Database,
  discovery: Discovery,
  keep: boolean,
  fn: (tx: TransactionQueryable, schema: string, rows: TrackedRow[]) => Promise<T>,
): Promise<T> {
  let result: { value: T } | null = null;
  try {
    await db.transaction(
      async (tx) => {
        const { schema } = await ensureTrackingSchema(tx, allEntityOrigins(discovery.root));
        const state = await readTracking(tx, schema);
        if (!state.ready) throw new MigrateError('DATABASE', `tracking tables could not be prepared: ${state.reason}`);
        result = { value: await fn(tx, schema, state.rows) };
        if (!keep) throw new LookOnly();
      },
      { lock: 'exclusive' },
    );
  } catch (error) {
    if (!(error instanceof LookOnly)) throw error;
  }
  return result!.value;
}

/** The first 12 characters of a checksum, as messages show it; `(none)` for null. */
export function shortChecksum(checksum: string | null | undefined): string {
  return checksum ? `${checksum.slice(0, 12)}…` : '(none)';
}

/**
 * Opens the configured database for a repair or a baseline: one that exists. An
 * embedded folder that holds no database is refused (opening it would create one).
 */
export async function openExisting(config: ResolvedConfig, discovery: Discovery): Promise<Database> {
  const target = config.target;
  if (target.kind === 'pglite' && target.dir !== null && !embeddedExists(target.dir)) {
    throw new MigrateError('CONFIG', `there is no embedded database at ${target.dir}`, {
      hint: 'Set DATABASE_URL (or MIGRATE_DATABASE_URL) to the database to repair or baseline; opening the folder would create an empty one.',
    });
  }
  return openDatabase(target, { scripts: () => discovery.files.map((f) => f.content) });
}

/** The history entries of the configured database (none when it has no tracking tables yet). */
export async function historyOf(config: ResolvedConfig): Promise<HistoryRecord[]> {
  const db = await openDatabase(config.target);
  try {
    const state = await readTracking(db);
    return state.ready ? await readHistory(db, state.schema) : [];
  } finally {
    await db.close();
  }
}
