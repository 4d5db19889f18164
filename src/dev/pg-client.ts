// A plain node-postgres client on a URL, for the commands that need more of the
// driver than our Database interface gives (column names in order, a script's
// results): the same connection attempts (libpq's sslmode) and error wrapping as
// src/db/postgres.ts.
import type pg from 'pg';
import { scrub, secretsOf } from '../core/redact.js';
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
  const { connectClient } = await import('../db/postgres.js');
  const secrets = secretsOf(url);
  const clean = (s: string) => scrub(s, secrets);
  const client = await connectClient(url, { applicationName });
  return {
    client,
    clean,
    async wrap(op) {
      try {
        return await op();
      } catch (error) {
        if (isServerError(error)) throw toDatabaseError(error, clean);
        throw error;
      }
    },
    end: () => client.end().catch(() => undefined),
  };
}
