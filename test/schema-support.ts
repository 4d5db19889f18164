// Shared by the schema tests (schema-*.test.ts): migrate a test database with
// the real CLI in a child process, and act as a request role inside a
// transaction that is always rolled back.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestClient } from './support/backends.js';

/** The project root (this file runs from dist/test/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One entry of the CLI's `--json` report. */
export interface CliMigration {
  tier: string;
  source: string | null;
  entity: string | null;
  filename: string;
  path: string;
  status: string;
  durationMs: number | null;
}

/** The CLI's `--json` document. */
export interface CliReport {
  ok: boolean;
  migrations: CliMigration[];
  error: unknown;
}

/** Runs `scripts/run-migrations.mjs --json` on `url` with `theme` active; sample data always on. */
export function runMigrateCli(url: string, theme: string): Promise<{ exitCode: number; report: CliReport; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: theme };
  // It would take precedence over DATABASE_URL.
  delete env.MIGRATE_DATABASE_URL;
  const args = [path.join(repoRoot, 'scripts', 'run-migrations.mjs'), '--root', repoRoot, '--json', '--no-env-file', '--sample-data'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      try {
        resolve({ exitCode, report: JSON.parse(stdout) as CliReport, stderr });
      } catch {
        reject(new Error(`run-migrations exited ${exitCode} without a JSON report.\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

/** Migrates `url` with `theme` active and returns the report's migrations; throws unless the run succeeded. */
export async function migrate(url: string, theme = 'default'): Promise<CliMigration[]> {
  const { exitCode, report, stderr } = await runMigrateCli(url, theme);
  if (exitCode !== 0 || !report.ok) {
    throw new Error(`run-migrations failed (exit ${exitCode}): ${JSON.stringify(report.error)}\n${stderr}`);
  }
  return report.migrations;
}

/** The roles the policies are written for. */
export type RequestRole = 'authenticated' | 'anon' | 'service_role';

/** What a statement did: its SQLSTATE and message when it failed, else the rows it affected. */
export interface Outcome {
  error: string | null;
  message: string | null;
  affected: number;
}

/** Statements run as one request role, inside a transaction `asRole` rolls back. */
export interface RoleSession {
  /** Rows of a query; throws when it fails. */
  rows<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a statement that may fail, behind a savepoint so the transaction survives. */
  attempt(sql: string, params?: unknown[]): Promise<Outcome>;
}

function sqlState(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code !== 'string') throw error;
  return { code: e.code, message: String(e.message) };
}

/**
 * Runs `fn` as `role` with `app.user_id` set the way the application sets it
 * (transaction-local), or left unset when `userId` is null. Always rolls back.
 */
export async function asRole<T>(db: TestClient, role: RequestRole, userId: string | null, fn: (s: RoleSession) => Promise<T>): Promise<T> {
  const session: RoleSession = {
    async rows<R>(sql: string, params?: unknown[]) {
      return (await db.query<R>(sql, params)).rows;
    },
    async attempt(sql, params) {
      await db.query('SAVEPOINT attempt');
      try {
        const { affectedRows } = await db.query(sql, params);
        await db.query('RELEASE SAVEPOINT attempt');
        return { error: null, message: null, affected: affectedRows };
      } catch (error) {
        const { code, message } = sqlState(error);
        await db.query('ROLLBACK TO SAVEPOINT attempt');
        return { error: code, message, affected: 0 };
      }
    },
  };
  await db.query('BEGIN');
  try {
    await db.query(`SET LOCAL ROLE ${role}`);
    if (userId !== null) await db.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
    return await fn(session);
  } finally {
    await db.query('ROLLBACK');
  }
}

/** Outcome of a statement RLS silently filtered: no error, no row touched. */
export const filtered: Outcome = { error: null, message: null, affected: 0 };
