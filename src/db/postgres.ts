// node-postgres adapter: one connection, no pool. Works through PgBouncer in
// transaction mode: no session state is relied on, only unnamed statements are
// used, and the migration lock is transaction-scoped.
import pg from 'pg';
import type { Database, Queryable, TransactionOptions } from './driver.js';
import { MIGRATION_LOCK_KEY } from './driver.js';
import { MigrateError } from '../core/errors.js';
import { redactUrl, scrub, secretsOf } from '../core/redact.js';
import { isServerError, toDatabaseError } from './postgres-error.js';

export async function openPostgres(url: string): Promise<Database> {
  const secrets = secretsOf(url);
  const clean = (s: string) => scrub(s, secrets);
  const display = redactUrl(url);
  // pg honours sslmode from the URL; nothing is forced here (local servers have no SSL).
  const client = new pg.Client({ connectionString: url, application_name: 'tiered-migrate' });
  // A dropped connection emits 'error' on the client; without a listener Node would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isServerError(error)) throw toDatabaseError(error, clean);
    throw new MigrateError('CONNECTION', `cannot connect to ${display}: ${clean(String((error as Error).message ?? error))}`, {
      hint: 'Check that the server is running and that DATABASE_URL (or MIGRATE_DATABASE_URL) is right.',
    });
  }

  const wrap = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      if (isServerError(error)) throw toDatabaseError(error, clean);
      throw new MigrateError('CONNECTION', `lost connection to ${display}: ${clean(String((error as Error).message ?? error))}`, { cause: error });
    }
  };

  const queryable: Queryable = {
    query: <R>(sql: string, params?: readonly unknown[]) => wrap(async () => (await client.query(sql, params as unknown[] | undefined)).rows as R[]),
    exec: (script: string) => wrap(async () => void (await client.query(script))),
  };

  return {
    kind: 'postgres',
    display,
    ...queryable,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      // BEGIN and the lock travel in one round trip.
      await queryable.exec(options.exclusive ? `BEGIN; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})` : 'BEGIN');
      try {
        const result = await fn(queryable);
        await queryable.exec('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
