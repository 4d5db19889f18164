// Row-Level Security and privileges of the system's own schema, proven as the
// roles the application uses (never as the superuser, who bypasses RLS), on
// PGlite and on a real server. The database is migrated once per backend by
// the real CLI; fixtures for users A, B, an admin and a user to delete are
// inserted by the superuser; every role check runs in a rolled-back transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { backends, connectForTest, type TestClient, type TestDatabaseHandle } from './support/backends.js';
import { asRole, filtered, migrate, repoRoot, runMigrateCli, type CliMigration, type Outcome } from './schema-support.js';

/** Tables whose rows belong to one user, and the column naming that user. */
const OWNED_TABLES = [
  { table: 'user', owner: 'id' },
  { table: 'session', owner: 'userId' },
  { table: 'account', owner: 'userId' },
  { table: 'users_metas', owner: 'userId' },
  { table: 'api_key', owner: 'userId' },
  { table: 'api_audit_log', owner: 'userId' },
  { table: 'theme_preferences', owner: 'userId' },
  { table: 'billing_subscriptions', owner: 'userId' },
  { table: 'tasks', owner: 'userId' },
  { table: 'ai_completions', owner: 'userId' },
] as const;

/**
 * The documented run for the default theme: 7 core files, the theme's, billing's,
 * tasks (2), completions (1). Checked as an ordered subsequence of the real run, so a
 * migration a team adds to these folders does not break the suite.
 */
const DEFAULT_THEME_RUN = [
  'migrations/001_better_auth_and_functions.sql',
  'migrations/002_auth_tables.sql',
  'migrations/003_user_metas.sql',
  'migrations/004_users_sample_data.sql',
  'migrations/005_api_key.sql',
  'migrations/006_api_audit_log.sql',
  'migrations/007_api_key_sample_data.sql',
  'contents/themes/default/migrations/001_theme_setup.sql',
  'contents/plugins/billing/migrations/001_billing_plans_and_subscriptions.sql',
  'contents/themes/default/entities/tasks/migrations/001_create_tasks.sql',
  'contents/plugins/ai/entities/completions/migrations/001_create_completions.sql',
  'contents/themes/default/entities/tasks/migrations/002_add_task_priority.sql',
];

/**
 * Every table privilege of each request role, column grants included ("t(a,b)"
 * for privileges on some columns only). The least-privilege design, written down.
 */
const EXPECTED_PRIVILEGES: Record<string, string[]> = {
  anon: ['billing_plans: SELECT', 'users_metas: SELECT'],
  authenticated: [
    'account: SELECT(accessTokenExpiresAt,accountId,createdAt,id,providerId,refreshTokenExpiresAt,scope,updatedAt,userId)',
    'ai_completions: DELETE, INSERT, SELECT, UPDATE',
    'api_audit_log: SELECT',
    'api_key: DELETE, INSERT, SELECT, UPDATE(expiresAt,name,revokedAt,scopes)',
    'billing_plans: SELECT',
    'billing_subscriptions: SELECT',
    'session: DELETE, SELECT(createdAt,expiresAt,id,ipAddress,updatedAt,userAgent,userId)',
    'tasks: DELETE, INSERT, SELECT, UPDATE',
    'theme_preferences: DELETE, INSERT, SELECT, UPDATE',
    'user: SELECT, UPDATE(image,name)',
    'users_metas: DELETE, INSERT, SELECT, UPDATE',
  ],
  service_role: [
    'account: DELETE, INSERT, SELECT, UPDATE',
    'api_audit_log: INSERT, SELECT',
    'api_key: SELECT, UPDATE(lastUsedAt,revokedAt)',
    'billing_plans: INSERT, SELECT, UPDATE',
    'billing_subscriptions: INSERT, SELECT, UPDATE',
    'session: DELETE, INSERT, SELECT, UPDATE',
    'user: DELETE, INSERT, SELECT, UPDATE',
    'verification: DELETE, INSERT, SELECT, UPDATE',
  ],
};

/** The shipped schema's tables (a table a team adds is not this test's business). */
const SHIPPED_TABLES = [...new Set([...Object.values(EXPECTED_PRIVILEGES).flat().map((line) => line.split(':')[0]!), ...OWNED_TABLES.map((o) => o.table), 'verification'])];

/** Ids of the fixture rows, per user. */
interface UserRows {
  id: string;
  email: string;
  task: string;
  publicMeta: string;
  privateMeta: string;
  apiKey: string;
  auditRow: string;
  completion: string;
  subscription: string;
  session: string;
}

interface Fixtures {
  a: UserRows;
  b: UserRows;
  admin: UserRows;
  /** Only the cascade test uses (and deletes) this one. */
  doomed: UserRows;
  planId: string;
}

async function insertId(db: TestClient, sql: string, params: unknown[]): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`${sql} RETURNING id`, params);
  const id = rows[0]?.id;
  assert.ok(id, `no id returned by: ${sql}`);
  return id;
}

/** One user with a row in every owned table, inserted by the superuser. */
async function createUserRows(db: TestClient, label: string, role: string, planId: string): Promise<UserRows> {
  const email = `${label}@rls.test`;
  const id = await insertId(db, `INSERT INTO "user" (name, email, role) VALUES ($1, $2, $3)`, [`RLS ${label}`, email, role]);
  const session = await insertId(
    db,
    `INSERT INTO "session" ("userId", token, "expiresAt") VALUES ($1, $2, now() + interval '1 day')`,
    [id, `token-${label}`],
  );
  await db.query(`INSERT INTO "account" ("userId", "accountId", "providerId", password) VALUES ($1, $1, 'credential', 'not-a-real-hash')`, [id]);
  const publicMeta = await insertId(
    db,
    `INSERT INTO "users_metas" ("userId", "metaKey", "metaValue", "isPublic") VALUES ($1, 'rls_public', '{"v": 1}', TRUE)`,
    [id],
  );
  const privateMeta = await insertId(
    db,
    `INSERT INTO "users_metas" ("userId", "metaKey", "metaValue", "isPublic") VALUES ($1, 'rls_private', '{"v": 2}', FALSE)`,
    [id],
  );
  const apiKey = await insertId(
    db,
    `INSERT INTO "api_key" ("userId", name, "keyHash", "keyPrefix", scopes)
     VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), left($3, 12), ARRAY['tasks:read'])`,
    [id, `key of ${label}`, `sk_rls_${label}_secret_value`],
  );
  const auditRow = await insertId(
    db,
    `INSERT INTO "api_audit_log" ("apiKeyId", "userId", method, path, "statusCode", "ipAddress", "userAgent", "durationMs")
     VALUES ($1, $2, 'GET', '/api/v1/tasks', 200, '203.0.113.7', 'rls-test', 12)`,
    [apiKey, id],
  );
  await db.query(`INSERT INTO "theme_preferences" ("userId", "colorScheme") VALUES ($1, 'dark')`, [id]);
  const subscription = await insertId(
    db,
    `INSERT INTO "billing_subscriptions" ("userId", "planId", status, "amountCents") VALUES ($1, $2, 'active', 1900)`,
    [id, planId],
  );
  const task = await insertId(db, `INSERT INTO "tasks" ("userId", title) VALUES ($1, $2)`, [id, `task of ${label}`]);
  const completion = await insertId(
    db,
    `INSERT INTO "ai_completions" ("userId", model, prompt, output, "promptTokens", "completionTokens", "costUsd")
     VALUES ($1, 'test-model', 'Say hi', 'hi', 3, 1, 0.000120)`,
    [id],
  );
  return { id, email, task, publicMeta, privateMeta, apiKey, auditRow, completion, subscription, session };
}

async function createFixtures(db: TestClient): Promise<Fixtures> {
  const planId = await insertId(
    db,
    `INSERT INTO "billing_plans" (slug, name, "amountCents", "billingInterval") VALUES ('rls-pro', 'RLS Pro', 1900, 'month')`,
    [],
  );
  return {
    a: await createUserRows(db, 'user-a', 'member', planId),
    b: await createUserRows(db, 'user-b', 'member', planId),
    admin: await createUserRows(db, 'user-admin', 'admin', planId),
    doomed: await createUserRows(db, 'user-doomed', 'member', planId),
    planId,
  };
}

function assertFiltered(outcome: Outcome, what: string): void {
  assert.deepEqual(outcome, filtered, `${what}: expected RLS to leave it untouched (0 rows, no error)`);
}

function assertPermissionDenied(outcome: Outcome, what: string): void {
  assert.equal(outcome.error, '42501', `${what}: expected insufficient_privilege, got ${JSON.stringify(outcome)}`);
  assert.match(outcome.message ?? '', /permission denied/, what);
}

function assertRlsRejects(outcome: Outcome, what: string): void {
  assert.equal(outcome.error, '42501', `${what}: expected a row-level security violation, got ${JSON.stringify(outcome)}`);
  assert.match(outcome.message ?? '', /row-level security/, what);
}

function assertAffects(outcome: Outcome, rows: number, what: string): void {
  assert.deepEqual(outcome, { error: null, message: null, affected: rows }, what);
}

/** Distinct owners of the rows of `table` the current role can see. */
async function visibleOwners(rows: (sql: string) => Promise<Record<string, unknown>[]>, table: string, owner: string): Promise<string[]> {
  const result = await rows(`SELECT DISTINCT "${owner}" AS owner FROM "${table}" ORDER BY 1`);
  return result.map((r) => String(r.owner));
}

for (const backend of backends) {
  describe(`schema RLS and privileges (${backend.name})`, () => {
    let handle: TestDatabaseHandle | null = null;
    let db: TestClient | null = null;
    let fx: Fixtures;
    let applied: CliMigration[] = [];

    before(async () => {
      if (backend.skipReason) return;
      handle = await backend.createDatabase();
      applied = await migrate(handle.url);
      // A PGlite folder can be open in one process only: connect after the CLI exited.
      db = await connectForTest(handle.url);
      fx = await createFixtures(db);
    });

    after(async () => {
      await db?.close();
      await handle?.drop();
    });

    /** The open client, or a skip with the backend's reason. */
    function client(t: { skip(message?: string): void }): TestClient | null {
      if (backend.skipReason) {
        t.skip(backend.skipReason);
        return null;
      }
      assert.ok(db, 'database not connected');
      return db;
    }

    /** Rows of `sql` as the superuser. */
    async function superRows<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
      assert.ok(db);
      return (await db.query<R>(sql, params)).rows;
    }

    async function superCount(sql: string, params: unknown[] = []): Promise<number> {
      const [row] = await superRows<{ n: number | string }>(sql, params);
      return Number(row?.n);
    }

    test('the CLI applies the documented run for the default theme', (t) => {
      if (!client(t)) return;
      const paths = applied.map((m) => m.path);
      assert.deepEqual(
        paths.filter((p) => DEFAULT_THEME_RUN.includes(p as string)),
        DEFAULT_THEME_RUN,
        'the documented files run, in the documented order',
      );
      assert.ok(applied.every((m) => m.status === 'applied'), JSON.stringify(applied.map((m) => m.status)));
    });

    test('the request roles exist, cannot log in and do not bypass RLS', async (t) => {
      if (!client(t)) return;
      const roles = await superRows<{ rolname: string; rolcanlogin: boolean; rolbypassrls: boolean; rolsuper: boolean }>(
        `SELECT rolname, rolcanlogin, rolbypassrls, rolsuper FROM pg_roles
         WHERE rolname IN ('authenticated', 'anon', 'service_role') ORDER BY rolname`,
      );
      assert.deepEqual(roles, [
        { rolname: 'anon', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
        { rolname: 'authenticated', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
        { rolname: 'service_role', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
      ]);
    });

    test('every table has RLS enabled and a policy; every "updatedAt" table has its trigger; every foreign key an index', async (t) => {
      if (!client(t)) return;
      // The engine's tracking tables (leading underscore) are not application data.
      const tables = await superRows<{ name: string; rls: boolean; policies: number | string; updated_at: boolean; trigger: boolean }>(
        `SELECT c.relname AS name,
                c.relrowsecurity AS rls,
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'updatedAt' AND NOT a.attisdropped) AS updated_at,
                EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc f ON f.oid = tg.tgfoid
                        WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND f.proname = 'set_updated_at'
                          AND (tg.tgtype & 2) <> 0 AND (tg.tgtype & 16) <> 0) AS trigger
         FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE '\\_%'
         ORDER BY 1`,
      );
      // Every shipped table exists; a table a team adds must follow the same rules.
      const names = tables.map((r) => r.name);
      for (const shipped of SHIPPED_TABLES) assert.ok(names.includes(shipped), `${shipped} missing`);
      for (const r of tables) {
        assert.equal(r.rls, true, `${r.name}: RLS disabled`);
        assert.ok(Number(r.policies) > 0, `${r.name}: no policy`);
        assert.equal(r.trigger, r.updated_at, `${r.name}: "updatedAt" without its BEFORE UPDATE set_updated_at() trigger`);
      }
      const unindexed = await superRows<{ fk: string }>(
        `SELECT con.conrelid::regclass::text || '.' || a.attname AS fk
         FROM pg_constraint con
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
         WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_index i
                           WHERE i.indrelid = con.conrelid AND i.indkey[0] = con.conkey[1] AND i.indpred IS NULL)
         ORDER BY 1`,
      );
      assert.deepEqual(unindexed, []);
    });

    test('each role holds exactly the table privileges its policies need', async (t) => {
      if (!client(t)) return;
      for (const [role, expected] of Object.entries(EXPECTED_PRIVILEGES)) {
        const rows = await superRows<{ line: string }>(
          `WITH tables AS (
             SELECT c.oid, c.relname FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE '\\_%'
               AND c.relname = ANY($2::text[])
           ), privs AS (
             SELECT t.relname, p.priv,
                    CASE WHEN has_table_privilege($1, t.oid, p.priv) THEN p.priv
                         ELSE p.priv || '(' || (SELECT string_agg(a.attname, ',' ORDER BY a.attname) FROM pg_attribute a
                                                WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                                                  AND has_column_privilege($1, t.oid, a.attnum, p.priv)) || ')'
                    END AS granted
             FROM tables t
             CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(priv)
             WHERE has_table_privilege($1, t.oid, p.priv)
                OR (p.priv IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') AND has_any_column_privilege($1, t.oid, p.priv))
           )
           SELECT relname || ': ' || string_agg(granted, ', ' ORDER BY granted) AS line
           FROM privs GROUP BY relname ORDER BY relname`,
          [role, SHIPPED_TABLES],
        );
        assert.deepEqual(
          rows.map((r) => r.line),
          expected,
          `privileges of ${role}`,
        );
      }
    });

    test('get_auth_user_id() reads app.user_id and is NULL when unset or empty; is_admin() follows the role', async (t) => {
      const db = client(t);
      if (!db) return;
      await asRole(db, 'authenticated', null, async (s) => {
        assert.deepEqual(await s.rows(`SELECT public.get_auth_user_id() AS id, public.is_admin() AS admin`), [{ id: null, admin: false }]);
        await s.rows(`SELECT set_config('app.user_id', '', true)`);
        assert.deepEqual(await s.rows(`SELECT public.get_auth_user_id() AS id, public.is_admin() AS admin`), [{ id: null, admin: false }]);
        await s.rows(`SELECT set_config('app.user_id', $1, true)`, [fx.a.id]);
        assert.deepEqual(await s.rows(`SELECT public.get_auth_user_id() AS id, public.is_admin() AS admin`), [{ id: fx.a.id, admin: false }]);
        await s.rows(`SELECT set_config('app.user_id', $1, true)`, [fx.admin.id]);
        assert.deepEqual(await s.rows(`SELECT public.is_admin() AS admin`), [{ admin: true }]);
      });
      const [superadmin] = await superRows<{ id: string }>(`SELECT id FROM "user" WHERE role = 'superadmin' LIMIT 1`);
      assert.ok(superadmin, 'the sample data has a superadmin');
      await asRole(db, 'authenticated', superadmin.id, async (s) => {
        assert.deepEqual(await s.rows(`SELECT public.is_admin() AS admin`), [{ admin: true }]);
      });
      await asRole(db, 'anon', null, async (s) => {
        assertPermissionDenied(await s.attempt(`SELECT public.is_admin()`), 'anon calling is_admin()');
      });
    });

    test('user A sees exactly their own rows in every owned table', async (t) => {
      const db = client(t);
      if (!db) return;
      const expectedCounts = new Map<string, number>();
      for (const { table, owner } of OWNED_TABLES) {
        expectedCounts.set(table, await superCount(`SELECT count(*) AS n FROM "${table}" WHERE "${owner}" = $1`, [fx.a.id]));
      }
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        for (const { table, owner } of OWNED_TABLES) {
          assert.deepEqual(await visibleOwners((q) => s.rows(q), table, owner), [fx.a.id], `${table}: owners A can see`);
          const [row] = await s.rows<{ n: number | string }>(`SELECT count(*) AS n FROM "${table}"`);
          assert.equal(Number(row?.n), expectedCounts.get(table), `${table}: A sees all of A's rows`);
        }
        // B's public meta stays hidden from signed-in users: public read is documented for anon only.
        assert.deepEqual(await s.rows(`SELECT id FROM "users_metas" WHERE id = $1`, [fx.b.publicMeta]), []);
        assertPermissionDenied(await s.attempt(`SELECT id FROM "verification"`), 'authenticated reading verification');
      });
    });

    test('user A cannot insert rows owned by B, but can insert their own', async (t) => {
      const db = client(t);
      if (!db) return;
      const inserts = [
        { table: 'tasks', sql: `INSERT INTO "tasks" ("userId", title) VALUES ($1, 'planted')` },
        { table: 'users_metas', sql: `INSERT INTO "users_metas" ("userId", "metaKey") VALUES ($1, 'planted')` },
        {
          table: 'api_key',
          sql: `INSERT INTO "api_key" ("userId", name, "keyHash", "keyPrefix")
                VALUES ($1, 'planted', encode(sha256(convert_to($1 || 'planted', 'UTF8')), 'hex'), 'sk_planted')`,
        },
        { table: 'ai_completions', sql: `INSERT INTO "ai_completions" ("userId", model, prompt) VALUES ($1, 'm', 'planted')` },
        { table: 'theme_preferences', sql: `INSERT INTO "theme_preferences" ("userId") VALUES ($1)` },
      ];
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        // A's own theme_preferences row exists already (one per user); free it so the own insert is possible.
        assertAffects(await s.attempt(`DELETE FROM "theme_preferences" WHERE "userId" = $1`, [fx.a.id]), 1, 'A deletes own preferences');
        for (const { table, sql } of inserts) {
          assertRlsRejects(await s.attempt(sql, [fx.b.id]), `A inserting into ${table} for B`);
          assertAffects(await s.attempt(sql, [fx.a.id]), 1, `A inserting into ${table} for A`);
        }
        // Tables a user never writes: refused by privilege, whoever the owner.
        assertPermissionDenied(
          await s.attempt(`INSERT INTO "billing_subscriptions" ("userId", "planId", status, "amountCents") VALUES ($1, $2, 'canceled', 0)`, [fx.b.id, fx.planId]),
          'A inserting a subscription for B',
        );
        assertPermissionDenied(
          await s.attempt(`INSERT INTO "api_audit_log" ("userId", method, path, "statusCode") VALUES ($1, 'GET', '/x', 200)`, [fx.b.id]),
          'A forging an audit row for B',
        );
        assertPermissionDenied(
          await s.attempt(`INSERT INTO "session" ("userId", token, "expiresAt") VALUES ($1, 'planted', now())`, [fx.b.id]),
          'A creating a session for B',
        );
        assertPermissionDenied(await s.attempt(`INSERT INTO "user" (name, email) VALUES ('x', 'planted@rls.test')`), 'A creating a user');
      });
    });

    test('user A cannot update or delete B\'s rows (0 rows or an error), but can change their own', async (t) => {
      const db = client(t);
      if (!db) return;
      // handover: what stops A from giving their row to B (api_key's owner column is not updatable at all).
      const writable = [
        { table: 'tasks', set: `title = 'defaced'`, id: (u: UserRows) => u.task, handover: assertRlsRejects },
        { table: 'users_metas', set: `"metaValue" = '{"defaced": true}'`, id: (u: UserRows) => u.privateMeta, handover: assertRlsRejects },
        { table: 'api_key', set: `name = 'defaced'`, id: (u: UserRows) => u.apiKey, handover: assertPermissionDenied },
        { table: 'ai_completions', set: `output = 'defaced'`, id: (u: UserRows) => u.completion, handover: assertRlsRejects },
      ];
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        for (const { table, set, id, handover } of writable) {
          assertFiltered(await s.attempt(`UPDATE "${table}" SET ${set} WHERE id = $1`, [id(fx.b)]), `A updating B's ${table}`);
          assertFiltered(await s.attempt(`DELETE FROM "${table}" WHERE id = $1`, [id(fx.b)]), `A deleting B's ${table}`);
          assertAffects(await s.attempt(`UPDATE "${table}" SET ${set} WHERE id = $1`, [id(fx.a)]), 1, `A updating own ${table}`);
          // WITH CHECK: a row cannot be handed over to someone else.
          handover(await s.attempt(`UPDATE "${table}" SET "userId" = $2 WHERE id = $1`, [id(fx.a), fx.b.id]), `A giving own ${table} row to B`);
        }
        assertFiltered(await s.attempt(`UPDATE "theme_preferences" SET "colorScheme" = 'light' WHERE "userId" = $1`, [fx.b.id]), `A updating B's preferences`);
        assertFiltered(await s.attempt(`DELETE FROM "theme_preferences" WHERE "userId" = $1`, [fx.b.id]), `A deleting B's preferences`);
        assertFiltered(await s.attempt(`UPDATE "user" SET name = 'defaced' WHERE id = $1`, [fx.b.id]), `A renaming B`);
        assertFiltered(await s.attempt(`DELETE FROM "session" WHERE id = $1`, [fx.b.session]), `A ending B's session`);
        assertAffects(await s.attempt(`DELETE FROM "session" WHERE id = $1`, [fx.a.session]), 1, 'A ending own session');
        assertPermissionDenied(await s.attempt(`DELETE FROM "user" WHERE id = $1`, [fx.b.id]), 'A deleting B');
        assertPermissionDenied(await s.attempt(`UPDATE "billing_subscriptions" SET status = 'canceled' WHERE id = $1`, [fx.b.subscription]), `A cancelling B's subscription`);
        assertPermissionDenied(await s.attempt(`DELETE FROM "billing_subscriptions" WHERE id = $1`, [fx.b.subscription]), `A deleting B's subscription`);
      });
      const [b] = await superRows(`SELECT name FROM "user" WHERE id = $1`, [fx.b.id]);
      assert.deepEqual(b, { name: 'RLS user-b' }, 'B untouched after the rolled-back attempts');
    });

    test('a user edits their profile but never their role, email or secrets', async (t) => {
      const db = client(t);
      if (!db) return;
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        // The fixture was inserted by an earlier transaction, so its "updatedAt" is not this transaction's now().
        assert.deepEqual(await s.rows(`SELECT "updatedAt" = now() AS fresh FROM "user" WHERE id = $1`, [fx.a.id]), [{ fresh: false }]);
        assertAffects(await s.attempt(`UPDATE "user" SET name = 'Alice Renamed', image = 'https://example.com/a.png' WHERE id = $1`, [fx.a.id]), 1, 'A renaming themself');
        assert.deepEqual(
          await s.rows(`SELECT name, "updatedAt" = now() AS fresh FROM "user" WHERE id = $1`, [fx.a.id]),
          [{ name: 'Alice Renamed', fresh: true }],
          'renamed, and the trigger moved "updatedAt"',
        );
        assertPermissionDenied(await s.attempt(`UPDATE "user" SET role = 'admin' WHERE id = $1`, [fx.a.id]), 'A promoting themself');
        assertPermissionDenied(await s.attempt(`UPDATE "user" SET email = 'other@rls.test' WHERE id = $1`, [fx.a.id]), 'A changing their email');
        assertPermissionDenied(await s.attempt(`UPDATE "user" SET "emailVerified" = TRUE WHERE id = $1`, [fx.a.id]), 'A verifying their email');
        assertPermissionDenied(await s.attempt(`SELECT token FROM "session" WHERE "userId" = $1`, [fx.a.id]), 'A reading session tokens');
        assertPermissionDenied(await s.attempt(`SELECT password FROM "account" WHERE "userId" = $1`, [fx.a.id]), 'A reading the password hash');
        assertPermissionDenied(await s.attempt(`UPDATE "api_key" SET "keyHash" = repeat('0', 64) WHERE id = $1`, [fx.a.apiKey]), 'A rewriting a key hash');
      });
    });

    test('the audit log is append-only and readable by its owner', async (t) => {
      const db = client(t);
      if (!db) return;
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        assert.deepEqual(await s.rows(`SELECT id FROM "api_audit_log" WHERE id = $1`, [fx.a.auditRow]), [{ id: fx.a.auditRow }]);
        assertPermissionDenied(await s.attempt(`UPDATE "api_audit_log" SET "statusCode" = 500 WHERE id = $1`, [fx.a.auditRow]), 'A editing own audit row');
        assertPermissionDenied(await s.attempt(`DELETE FROM "api_audit_log" WHERE id = $1`, [fx.a.auditRow]), 'A deleting own audit row');
        // The log outlives the key: deleting it keeps the rows, without the key.
        assertAffects(await s.attempt(`DELETE FROM "api_key" WHERE id = $1`, [fx.a.apiKey]), 1, 'A deleting own key');
        assert.deepEqual(await s.rows(`SELECT "apiKeyId" FROM "api_audit_log" WHERE id = $1`, [fx.a.auditRow]), [{ apiKeyId: null }]);
      });
      await asRole(db, 'service_role', null, async (s) => {
        assertAffects(
          await s.attempt(`INSERT INTO "api_audit_log" ("apiKeyId", "userId", method, path, "statusCode") VALUES ($1, $2, 'POST', '/api/v1/tasks', 201)`, [fx.a.apiKey, fx.a.id]),
          1,
          'the server recording a call',
        );
        assertPermissionDenied(await s.attempt(`UPDATE "api_audit_log" SET path = '/' WHERE id = $1`, [fx.a.auditRow]), 'the server editing the log');
        assertPermissionDenied(await s.attempt(`DELETE FROM "api_audit_log" WHERE id = $1`, [fx.a.auditRow]), 'the server deleting from the log');
      });
      const policies = await superRows<{ cmd: string }>(`SELECT DISTINCT cmd FROM pg_policies WHERE tablename = 'api_audit_log' ORDER BY cmd`);
      assert.deepEqual(policies, [{ cmd: 'INSERT' }, { cmd: 'SELECT' }], 'no UPDATE, DELETE or ALL policy on the audit log');
    });

    test('an admin sees what the admin policies allow and no more', async (t) => {
      const db = client(t);
      if (!db) return;
      const all = new Map<string, number>();
      for (const { table, owner } of OWNED_TABLES.filter((o) => ['user', 'users_metas', 'api_audit_log', 'billing_subscriptions'].includes(o.table))) {
        const n = await superCount(`SELECT count(*) AS n FROM "${table}"`);
        const own = await superCount(`SELECT count(*) AS n FROM "${table}" WHERE "${owner}" = $1`, [fx.admin.id]);
        assert.ok(n > own, `${table} has other users' rows to see`);
        all.set(table, n);
      }
      await asRole(db, 'authenticated', fx.admin.id, async (s) => {
        for (const [table, n] of all) {
          const [row] = await s.rows<{ n: number | string }>(`SELECT count(*) AS n FROM "${table}"`);
          assert.equal(Number(row?.n), n, `admin reads every row of ${table}`);
        }
        // Owner-only tables stay owner-only for admins.
        for (const table of ['session', 'account', 'api_key', 'theme_preferences', 'tasks', 'ai_completions']) {
          assert.deepEqual(await visibleOwners((q) => s.rows(q), table, 'userId'), [fx.admin.id], `${table}: admin sees only own rows`);
        }
        // The documented users_metas policy is FOR ALL to owner or admin: admins may edit metas.
        assertAffects(await s.attempt(`UPDATE "users_metas" SET "metaValue" = '{"moderated": true}' WHERE id = $1`, [fx.b.privateMeta]), 1, `admin editing B's meta`);
        // Reading every user is not editing them.
        assertFiltered(await s.attempt(`UPDATE "user" SET name = 'renamed by admin' WHERE id = $1`, [fx.b.id]), 'admin renaming B');
        assertFiltered(await s.attempt(`UPDATE "tasks" SET title = 'x' WHERE id = $1`, [fx.b.task]), `admin editing B's task`);
        assertFiltered(await s.attempt(`DELETE FROM "api_key" WHERE id = $1`, [fx.b.apiKey]), `admin deleting B's key`);
        assertPermissionDenied(await s.attempt(`UPDATE "billing_subscriptions" SET status = 'canceled' WHERE id = $1`, [fx.b.subscription]), `admin cancelling B's subscription`);
      });
    });

    test('anon reads public metas and billing plans, nothing else, and writes nothing', async (t) => {
      const db = client(t);
      if (!db) return;
      const publicMetas = await superCount(`SELECT count(*) AS n FROM "users_metas" WHERE "isPublic"`);
      const plans = await superCount(`SELECT count(*) AS n FROM "billing_plans"`);
      assert.ok(publicMetas > 0 && plans > 0);
      await asRole(db, 'anon', fx.a.id, async (s) => {
        const metas = await s.rows<{ id: string; isPublic: boolean }>(`SELECT id, "isPublic" FROM "users_metas"`);
        assert.equal(metas.length, publicMetas);
        assert.ok(metas.every((m) => m.isPublic), 'only public metas');
        assert.ok(metas.some((m) => m.id === fx.a.publicMeta) && !metas.some((m) => m.id === fx.a.privateMeta));
        const [row] = await s.rows<{ n: number | string }>(`SELECT count(*) AS n FROM "billing_plans"`);
        assert.equal(Number(row?.n), plans);
        for (const table of ['user', 'session', 'account', 'verification', 'api_key', 'api_audit_log', 'theme_preferences', 'billing_subscriptions', 'tasks', 'ai_completions']) {
          assertPermissionDenied(await s.attempt(`SELECT 1 FROM "${table}" LIMIT 1`), `anon reading ${table}`);
        }
        assertPermissionDenied(await s.attempt(`INSERT INTO "users_metas" ("userId", "metaKey", "isPublic") VALUES ($1, 'anon', TRUE)`, [fx.a.id]), 'anon inserting a meta');
        assertPermissionDenied(await s.attempt(`UPDATE "users_metas" SET "metaValue" = '{}' WHERE id = $1`, [fx.a.publicMeta]), 'anon editing a public meta');
        assertPermissionDenied(await s.attempt(`DELETE FROM "users_metas" WHERE id = $1`, [fx.a.publicMeta]), 'anon deleting a public meta');
        assertPermissionDenied(await s.attempt(`INSERT INTO "billing_plans" (slug, name) VALUES ('free-lunch', 'Free lunch')`), 'anon adding a plan');
        assertPermissionDenied(await s.attempt(`UPDATE "billing_plans" SET "amountCents" = 0`), 'anon repricing plans');
        assertPermissionDenied(await s.attempt(`INSERT INTO "user" (name, email) VALUES ('anon', 'anon@rls.test')`), 'anon signing up in SQL');
        assertPermissionDenied(await s.attempt(`INSERT INTO "tasks" ("userId", title) VALUES ($1, 'anon')`, [fx.a.id]), 'anon adding a task');
      });
    });

    test('authenticated with app.user_id unset (or empty) sees no user rows', async (t) => {
      const db = client(t);
      if (!db) return;
      for (const setting of [null, '']) {
        await asRole(db, 'authenticated', setting, async (s) => {
          for (const { table } of OWNED_TABLES) {
            assert.deepEqual(await s.rows(`SELECT 1 FROM "${table}"`), [], `${table} with app.user_id ${JSON.stringify(setting)}`);
          }
          assertRlsRejects(await s.attempt(`INSERT INTO "tasks" ("userId", title) VALUES ($1, 'nobody')`, [fx.a.id]), 'anonymous insert as authenticated');
        });
      }
    });

    test('server-side (service_role): key lookup by hash, last use, billing constraints; no access to user content', async (t) => {
      const db = client(t);
      if (!db) return;
      const [alice] = await superRows<{ id: string }>(`SELECT id FROM "user" WHERE email = 'alice@example.com'`);
      assert.ok(alice, 'sample user alice');
      await asRole(db, 'service_role', null, async (s) => {
        // The documented sample key of alice (007) is found by the hash of its text.
        const found = await s.rows<{ userId: string; keyPrefix: string; revoked: boolean }>(
          `SELECT "userId", "keyPrefix", "revokedAt" IS NOT NULL AS revoked FROM "api_key"
           WHERE "keyHash" = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
          ['sk_dev_7ac34c75883894d756f4cf4be8c7f2de'],
        );
        assert.deepEqual(found, [{ userId: alice.id, keyPrefix: 'sk_dev_7ac34', revoked: false }]);
        assertAffects(await s.attempt(`UPDATE "api_key" SET "lastUsedAt" = now() WHERE id = $1`, [fx.b.apiKey]), 1, 'recording last use');
        assertPermissionDenied(await s.attempt(`UPDATE "api_key" SET "userId" = $1 WHERE id = $2`, [fx.a.id, fx.b.apiKey]), 'moving a key');
        assertPermissionDenied(await s.attempt(`SELECT 1 FROM "tasks"`), 'the server reading tasks');
        assertPermissionDenied(await s.attempt(`SELECT 1 FROM "users_metas"`), 'the server reading metas');

        const subscribe = `INSERT INTO "billing_subscriptions" ("userId", "planId", status, "amountCents") VALUES ($1, $2, $3, $4)`;
        const second = await s.attempt(subscribe, [fx.a.id, fx.planId, 'trialing', 0]);
        assert.equal(second.error, '23505', `a second live subscription: ${JSON.stringify(second)}`);
        assertAffects(await s.attempt(subscribe, [fx.a.id, fx.planId, 'canceled', 1900]), 1, 'an ended subscription next to the live one');
        assert.equal((await s.attempt(subscribe, [fx.b.id, fx.planId, 'canceled', -1])).error, '23514', 'a negative amount');
        assert.equal((await s.attempt(subscribe, [fx.b.id, fx.planId, 'bogus', 100])).error, '23514', 'an unknown status');
        assert.equal(
          (await s.attempt(`INSERT INTO "billing_plans" (slug, name, "amountCents") VALUES ('negative', 'Negative', -5)`)).error,
          '23514',
          'a plan with a negative price',
        );
        assertAffects(await s.attempt(`UPDATE "billing_subscriptions" SET status = 'canceled' WHERE id = $1`, [fx.a.subscription]), 1, 'a webhook cancelling');
        assertAffects(await s.attempt(subscribe, [fx.a.id, fx.planId, 'active', 2900]), 1, 'a new live subscription once the old one ended');
      });
    });

    test('deleting a user removes every row they own (cascade)', async (t) => {
      const db = client(t);
      if (!db) return;
      const counts = async () => {
        const result: Record<string, number> = {};
        for (const { table, owner } of OWNED_TABLES) {
          result[table] = await superCount(`SELECT count(*) AS n FROM "${table}" WHERE "${owner}" = $1`, [fx.doomed.id]);
        }
        return result;
      };
      const before = await counts();
      for (const [table, n] of Object.entries(before)) assert.ok(n > 0, `the doomed user has rows in ${table}`);
      const othersBefore = await superCount(`SELECT count(*) AS n FROM "tasks" WHERE "userId" <> $1`, [fx.doomed.id]);
      // As the server would: service_role has no privilege on the child tables; the cascade needs none.
      await db.query('BEGIN');
      try {
        await db.query('SET LOCAL ROLE service_role');
        const { affectedRows } = await db.query(`DELETE FROM "user" WHERE id = $1`, [fx.doomed.id]);
        assert.equal(affectedRows, 1);
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      }
      const after = await counts();
      assert.deepEqual(after, Object.fromEntries(Object.keys(before).map((table) => [table, 0])));
      assert.equal(await superCount(`SELECT count(*) AS n FROM "tasks" WHERE "userId" <> $1`, [fx.doomed.id]), othersBefore, 'nobody else lost a task');
    });

    test('every applied file runs again over the migrated database and changes nothing', async (t) => {
      const db = client(t);
      if (!db) return;
      const snapshot = async () => ({
        policies: await superRows(
          `SELECT tablename, policyname, cmd, roles::text AS roles, qual, with_check FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`,
        ),
        indexes: await superRows(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
        constraints: await superRows(
          `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
           WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
        ),
        triggers: await superRows(`SELECT tgrelid::regclass::text AS rel, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
        acl: await superRows(
          `SELECT c.relname, c.relrowsecurity, ARRAY(SELECT x::text FROM unnest(c.relacl) x ORDER BY 1) AS acl,
                  ARRAY(SELECT a.attname || '=' || x::text FROM pg_attribute a, unnest(a.attacl) x WHERE a.attrelid = c.oid ORDER BY 1) AS column_acl
           FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1`,
        ),
        functions: await superRows(
          `SELECT proname, prosrc, prosecdef, provolatile, proconfig, ARRAY(SELECT x::text FROM unnest(proacl) x ORDER BY 1) AS acl
           FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
        ),
        columns: await superRows(
          `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
           WHERE table_schema = 'public' ORDER BY 1, 2`,
        ),
        rows: await superRows(
          `SELECT (SELECT count(*) FROM "user") AS users, (SELECT count(*) FROM "account") AS accounts,
                  (SELECT count(*) FROM "users_metas") AS metas, (SELECT count(*) FROM "api_key") AS keys`,
        ),
      });
      const before = await snapshot();
      assert.ok(DEFAULT_THEME_RUN.every((p) => applied.some((m) => m.path === p)));
      await db.query('BEGIN');
      try {
        for (const m of applied) {
          const sql = await readFile(path.join(repoRoot, m.path), 'utf8');
          await db.exec(sql).catch((error: Error) => {
            throw new Error(`${m.path} is not re-runnable: ${error.message}`);
          });
        }
        assert.deepEqual(await snapshot(), before);
      } finally {
        await db.query('ROLLBACK');
      }
    });

    test('switching to the minimal theme applies only its own migration, owner-only too', async (t) => {
      if (!client(t) || !handle) return;
      // The CLI needs the PGlite folder to itself.
      await db?.close();
      db = null;
      const { exitCode, report } = await runMigrateCli(handle.url, 'minimal');
      db = await connectForTest(handle.url);
      assert.equal(exitCode, 0, JSON.stringify(report.error));
      // Only the minimal theme's own files run: everything else was applied already.
      const switched = report.migrations.filter((m) => m.status === 'applied').map((m) => m.path);
      assert.ok(switched.includes('contents/themes/minimal/migrations/001_minimal_notes.sql'), JSON.stringify(switched));
      assert.ok(switched.every((p) => p?.startsWith('contents/themes/minimal/')), JSON.stringify(switched));
      await asRole(db, 'authenticated', fx.a.id, async (s) => {
        assertAffects(await s.attempt(`INSERT INTO "minimal_notes" ("userId", body) VALUES ($1, 'mine')`, [fx.a.id]), 1, 'A writing a note');
        assertRlsRejects(await s.attempt(`INSERT INTO "minimal_notes" ("userId", body) VALUES ($1, 'planted')`, [fx.b.id]), 'A writing a note for B');
        await s.rows(`SELECT set_config('app.user_id', $1, true)`, [fx.b.id]);
        assert.deepEqual(await s.rows(`SELECT body FROM "minimal_notes"`), [], 'B does not see A\'s note');
      });
    });
  });
}
