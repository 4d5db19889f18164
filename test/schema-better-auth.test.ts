// Better Auth compatibility of the core schema, judged by Better Auth itself:
// its migration planner must find nothing to create or add on a database the
// CLI migrated, and its real sign-in and sign-up must work on our tables as
// service_role, on PGlite and on a real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { backends, connectForTest, type TestClient, type TestDatabaseHandle } from './support/backends.js';
import { migrate } from './schema-support.js';

type Database = BetterAuthOptions['database'];

/** The sample users of migrations/004_users_sample_data.sql and their documented password. */
const SAMPLE_USERS = [
  { email: 'superadmin@example.com', role: 'superadmin' },
  { email: 'admin@example.com', role: 'admin' },
  { email: 'alice@example.com', role: 'member' },
  { email: 'bob@example.com', role: 'member' },
  { email: 'carol@example.com', role: 'member' },
];
const SAMPLE_PASSWORD = 'SamplePassword123!';

/** The extra user field the application declares for the schema's `role` column. */
const roleField = { role: { type: 'string', required: true, defaultValue: 'member', input: false } } as const;

/**
 * A node-postgres-shaped pool over the test client, so that Better Auth's own
 * Kysely Postgres dialect can run on PGlite (which has no network protocol).
 */
function poolOver(client: TestClient): Database {
  const connection = {
    async query(sql: string, params?: unknown[]) {
      const result = await client.query(sql, params);
      const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
      return { command, rowCount: result.affectedRows, rows: result.rows };
    },
    release() {},
  };
  return { connect: async () => connection, end: async () => {} } as unknown as Database;
}

interface Plan {
  created: string[];
  added: Record<string, string[]>;
  indexes: string[];
  problems: string[];
  unsafe: string[];
  warnings: string[];
}

/** What Better Auth's planner would still do to `database` for `options`. */
async function planFor(database: Database, options: Partial<BetterAuthOptions> = {}): Promise<Plan> {
  const warnings: string[] = [];
  const plan = await getMigrations({
    ...options,
    database,
    logger: { level: 'warn', log: (level, message) => void warnings.push(`${level}: ${message}`) },
  });
  return {
    created: plan.toBeCreated.map((t) => t.table),
    added: Object.fromEntries(plan.toBeAdded.map((t) => [t.table, Object.keys(t.fields)])),
    indexes: plan.toBeAddedIndexes.map((i) => `${i.table}.${i.name}`),
    problems: plan.schemaProblems,
    unsafe: plan.unsafeChanges,
    warnings,
  };
}

const NOTHING_TO_DO: Plan = { created: [], added: {}, indexes: [], problems: [], unsafe: [], warnings: [] };

for (const backend of backends) {
  describe(`Better Auth on the migrated schema (${backend.name})`, () => {
    let handle: TestDatabaseHandle | null = null;
    /** The superuser's connection (PGlite: the only one). */
    let client: TestClient | null = null;
    let pool: pg.Pool | null = null;
    let servicePool: pg.Pool | null = null;

    before(async () => {
      if (backend.skipReason) return;
      handle = await backend.createDatabase();
      await migrate(handle.url);
      client = await connectForTest(handle.url);
      if (backend.name === 'postgres') {
        pool = new pg.Pool({ connectionString: handle.url, max: 2 });
        // What the server side of the application would use: the service_role.
        servicePool = new pg.Pool({ connectionString: handle.url, max: 2, options: '-c role=service_role' });
      }
    });

    after(async () => {
      await pool?.end();
      await servicePool?.end();
      await client?.close();
      await handle?.drop();
    });

    function ready(t: { skip(message?: string): void }): TestClient | null {
      if (backend.skipReason) {
        t.skip(backend.skipReason);
        return null;
      }
      assert.ok(client, 'database not connected');
      return client;
    }

    /** Better Auth's view of the database: a pg Pool on a server, the pool-shaped shim on PGlite. */
    function database(c: TestClient): Database {
      return pool ?? poolOver(c);
    }

    test('its migration planner finds nothing to create or add for the core schema', async (t) => {
      const c = ready(t);
      if (!c) return;
      assert.deepEqual(await planFor(database(c)), NOTHING_TO_DO);
    });

    test('nor for the core schema with the role field the application declares', async (t) => {
      const c = ready(t);
      if (!c) return;
      assert.deepEqual(await planFor(database(c), { user: { additionalFields: roleField } }), NOTHING_TO_DO);
    });

    test('the planner reads this database: a column taken away is reported missing', async (t) => {
      const c = ready(t);
      if (!c) return;
      await c.exec(`ALTER TABLE "verification" RENAME COLUMN "value" TO "value_hidden"`);
      try {
        const plan = await planFor(database(c));
        assert.deepEqual(plan.created, []);
        assert.deepEqual(plan.added, { verification: ['value'] });
      } finally {
        await c.exec(`ALTER TABLE "verification" RENAME COLUMN "value_hidden" TO "value"`);
      }
      assert.deepEqual(await planFor(database(c)), NOTHING_TO_DO);
    });

    test('it signs the sample users in and signs a new user up, as service_role', async (t) => {
      const c = ready(t);
      if (!c) return;
      // PGlite has one connection: switch it to the role for the duration of the test.
      if (!servicePool) await c.exec('SET ROLE service_role');
      try {
        const auth = betterAuth({
          database: servicePool ?? poolOver(c),
          secret: 'schema-better-auth-test-secret-0123456789abcdef',
          baseURL: 'http://localhost:3000',
          emailAndPassword: { enabled: true },
          user: { additionalFields: roleField },
          rateLimit: { enabled: false },
          telemetry: { enabled: false },
          logger: { disabled: true },
        });
        for (const { email, role } of SAMPLE_USERS) {
          const signedIn = await auth.api.signInEmail({ body: { email, password: SAMPLE_PASSWORD } });
          assert.equal(signedIn.user.email, email);
          assert.equal(signedIn.user.role, role, `${email} has the role the sample data gave it`);
          assert.ok(signedIn.token, `${email} got a session token`);
        }
        await assert.rejects(auth.api.signInEmail({ body: { email: 'alice@example.com', password: 'not-the-password' } }), 'a wrong password is refused');

        const signedUp = await auth.api.signUpEmail({ body: { email: 'newcomer@example.com', password: 'NewcomerPassword123!', name: 'Newcomer' } });
        assert.equal(signedUp.user.role, 'member');
        const again = await auth.api.signInEmail({ body: { email: 'newcomer@example.com', password: 'NewcomerPassword123!' } });
        assert.equal(again.user.id, signedUp.user.id);
      } finally {
        if (!servicePool) await c.exec('RESET ROLE');
      }
      const { rows } = await c.query<{ email: string; role: string; sessions: number | string; credential: number | string }>(
        `SELECT u.email, u.role,
                (SELECT count(*) FROM "session" s WHERE s."userId" = u.id) AS sessions,
                (SELECT count(*) FROM "account" a WHERE a."userId" = u.id AND a."providerId" = 'credential') AS credential
         FROM "user" u WHERE u.email IN ('alice@example.com', 'newcomer@example.com') ORDER BY u.email`,
      );
      assert.deepEqual(
        rows.map((r) => ({ ...r, sessions: Number(r.sessions), credential: Number(r.credential) })),
        [
          { email: 'alice@example.com', role: 'member', sessions: 1, credential: 1 },
          { email: 'newcomer@example.com', role: 'member', sessions: 2, credential: 1 },
        ],
      );
    });
  });
}
