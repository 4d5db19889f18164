// The databases a benchmark run creates on the server: named bench_<run>_<n>,
// remembered from the moment they are created, and all dropped at the end —
// also when the run fails or is interrupted. Databases it did not create are
// never touched.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where a database lives; `url(...)` builds the URL a contender is given. */
export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string | null;
}

export function parseServerUrl(url: string): ServerAddress & { database: string } {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a postgres:// URL: ${u.protocol}`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: u.password ? decodeURIComponent(u.password) : null,
    database: decodeURIComponent(u.pathname.slice(1) || 'postgres'),
  };
}

/** A URL for `database` on `server`, optionally through another port (the counting proxy). */
export function databaseUrl(server: ServerAddress, database: string, options: { port?: number; sslDisable?: boolean } = {}): string {
  const auth = `${encodeURIComponent(server.user)}${server.password ? `:${encodeURIComponent(server.password)}` : ''}`;
  const port = options.port ?? server.port;
  return `postgres://${auth}@${server.host}:${port}/${encodeURIComponent(database)}${options.sslDisable ? '?sslmode=disable' : ''}`;
}

export interface DatabasePool {
  readonly server: ServerAddress;
  /** Server version string (`SELECT version()`). */
  readonly version: string;
  create(): Promise<string>;
  drop(name: string): Promise<void>;
  /** Drops every database this pool created and is still holding; closes the admin connection. */
  dropAll(): Promise<string[]>;
}

/** Connects to the admin database of `adminUrl`; databases are created from template0. */
export async function openDatabasePool(adminUrl: string): Promise<DatabasePool> {
  const server = parseServerUrl(adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'tiered-migrate-bench' });
  admin.on('error', () => undefined);
  await admin.connect();
  const version = String((await admin.query<{ version: string }>('SELECT version()')).rows[0]?.version ?? 'unknown');
  const prefix = `bench_${randomBytes(4).toString('hex')}`;
  const alive = new Set<string>();
  let next = 0;
  // Once dropAll starts (end of run, or an interrupt racing the run), nothing new is created.
  let closing = false;
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const drop = async (name: string) => {
    // FORCE: a contender killed mid-run may leave a backend behind.
    await admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    alive.delete(name);
  };
  return {
    server,
    version,
    async create() {
      if (closing) throw new Error('benchmark interrupted: no new databases');
      const name = `${prefix}_${++next}`;
      // Remembered before CREATE is sent: the admin client runs queries in order, so a
      // DROP queued by dropAll always comes after it.
      alive.add(name);
      await admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0`);
      return name;
    },
    drop,
    async dropAll() {
      closing = true;
      const dropped: string[] = [];
      for (const name of [...alive]) {
        try {
          await drop(name);
          dropped.push(name);
        } catch (error) {
          process.stderr.write(`could not drop database ${name}: ${(error as Error).message}\n`);
        }
      }
      await admin.end().catch(() => undefined);
      return dropped;
    },
  };
}
