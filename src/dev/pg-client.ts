// A plain node-postgres client on a URL, for the commands that need more of the
// driver than our Database interface gives (column names in order, a script's
// results): the same connection attempts (libpq's sslmode) and error wrapping as
// src/db/postgres.ts.
import type pg from 'pg';
import { MigrateError } from '../core/errors.js';
import { redactUrl, scrub, secretsOf } from '../core/redact.js';
import { isServerError, toDatabaseError } from '../db/postgres-error.js';

export interface PgConnection {
  client: pg.Client;
  /** Scrubs the URL's password from a text. */
  clean(text: string): string;
  /** Runs `op`, turning a server error into our DatabaseError. */
  wrap<T>(op: () => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

/** Connects to `url`; a connection failure is a CONNECTION error (exit 2). */
export async function connectPg(url: string, applicationName: string): Promise<PgConnection> {
  const [{ default: pgModule }, { connectionAttempts }] = await Promise.all([import('pg'), import('../db/postgres.js')]);
  const secrets = secretsOf(url);
  const clean = (s: string) => scrub(s, secrets);
  let lastError: unknown = null;
  for (const attempt of connectionAttempts(url)) {
    const candidate = new pgModule.Client({ connectionString: attempt, application_name: applicationName });
    // A dropped connection emits 'error' on the client; without a listener Node would crash.
    candidate.on('error', () => undefined);
    try {
      await candidate.connect();
      return {
        client: candidate,
        clean,
        async wrap(op) {
          try {
            return await op();
          } catch (error) {
            if (isServerError(error)) throw toDatabaseError(error, clean);
            throw error;
          }
        },
        end: () => candidate.end().catch(() => undefined),
      };
    } catch (error) {
      lastError = error;
      await candidate.end().catch(() => undefined);
      if (isServerError(error)) throw toDatabaseError(error, clean);
    }
  }
  throw new MigrateError('CONNECTION', `cannot connect to ${redactUrl(url)}: ${clean(String((lastError as Error)?.message ?? lastError))}`, {
    hint: 'Check that the server is running and that DATABASE_URL (or MIGRATE_DATABASE_URL) is right.',
  });
}
