// A production database stays production: the marker recorded in it keeps sample
// data out whatever NODE_ENV says, and the tracking tables are closed to every
// role but their owner.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { backends, connectForTest } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';

const TRACKING = ['_migrations', '_content_migrations', '_entity_migrations', '_migrations_settings'];

function project(): string {
  return writeProject({
    'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS prod_core (id INT);\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig([]),
    'contents/themes/t1/migrations/001_tasks.sql': 'CREATE TABLE IF NOT EXISTS prod_tasks (id INT, title TEXT);\n',
    'contents/themes/t1/migrations/002_tasks_sample_data.sql': "INSERT INTO prod_tasks VALUES (1, 'sample');\n",
  });
}

for (const backend of backends) {
  describe(`production database on ${backend.name}`, { concurrency: false }, () => {
    if (backend.skipReason) {
      test(`production database on ${backend.name}`, (t) => t.skip(backend.skipReason!));
      return;
    }
    const root = project();
    let url = '';
    const cleanup: (() => Promise<void> | void)[] = [() => removeProject(root)];
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
    });
    const run = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--root', root, '--no-env-file'], { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: 't1', ...env });
    const sampleStatus = (json: { migrations: { filename: string; status: string }[] } | null) => json?.migrations.find((m) => m.filename === '002_tasks_sample_data.sql')?.status;

    test('NODE_ENV=production marks the database; later runs without it still skip sample data; --sample-data applies it', async () => {
      const db = await backend.createDatabase();
      url = db.url;
      cleanup.push(() => db.drop());

      const first = await run(['migrate'], { NODE_ENV: 'production' });
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Marked .* as a production database \(NODE_ENV=production\)/);
      assert.match(first.stdout, /Skipping 002_tasks_sample_data\.sql/);

      const client = await connectForTest(url);
      try {
        const marker = await client.query<{ value: string; set_by: string }>(`SELECT value, set_by FROM _migrations_settings WHERE key = 'production'`);
        assert.equal(marker.rows[0]?.value, 'true');
        assert.match(marker.rows[0]!.set_by, /NODE_ENV=production/);
      } finally {
        await client.close();
      }

      // A shell without NODE_ENV: the database itself says production.
      const later = await run(['migrate', '--json']);
      assert.equal(later.code, 0, later.stdout + later.stderr);
      assert.equal(sampleStatus(later.json), 'sample-data-skipped');
      assert.equal((later.json as unknown as { productionDatabase?: boolean }).productionDatabase, true);

      const status = await run(['status']);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /skipped \(production database\) contents\/themes\/t1\/migrations\/002_tasks_sample_data\.sql/);
      assert.match(status.stdout, /0 pending/);

      const forced = await run(['migrate', '--json', '--sample-data']);
      assert.equal(forced.code, 0, forced.stdout + forced.stderr);
      assert.equal(sampleStatus(forced.json), 'applied');
    });

    test('production --mark / --unmark: asks (refused without --yes off a terminal), says what changed, --json', async (t) => {
      // The command's code is the same on both backends; each PGlite CLI run costs seconds.
      const server = backends.find((b) => b.name === 'postgres')!;
      if (backend.name === 'pglite' && !server.skipReason) return t.skip('covered on the server (same code; PGlite runs are slow)');
      const db = await backend.createDatabase();
      url = db.url;
      cleanup.push(() => db.drop());

      const shown = await run(['production', '--json']);
      assert.equal(shown.code, 0, shown.stdout + shown.stderr);
      assert.equal((JSON.parse(shown.stdout) as { production: boolean }).production, false);

      const unconfirmed = await run(['production', '--mark']);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.stderr, /without --yes/);

      const marked = await run(['production', '--mark', '--yes']);
      assert.equal(marked.code, 0, marked.stdout + marked.stderr);
      assert.match(marked.stdout, /Created the tracking tables/);
      assert.match(marked.stdout, /Marked .* as a production database/);

      const again = await run(['production', '--mark', '--yes', '--json']);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.stdout).changed, false);

      if (backend.name === 'postgres') {
        // reset refuses a marked database even from a shell without NODE_ENV=production.
        const reset = await run(['reset', '--yes']);
        assert.equal(reset.code, 2, reset.stdout + reset.stderr);
        assert.match(reset.stderr, /refusing to reset: .* is marked as a production database/);
      }

      // Marked before any migration ran: the first migrate, NODE_ENV unset, skips sample data.
      const migrated = await run(['migrate', '--json']);
      assert.equal(sampleStatus(migrated.json), 'sample-data-skipped');

      const unmarked = await run(['production', '--unmark', '--yes', '--json']);
      assert.equal(unmarked.code, 0, unmarked.stdout + unmarked.stderr);
      const doc = JSON.parse(unmarked.stdout) as { changed: boolean; production: boolean; changes: string[] };
      assert.equal(doc.changed, true);
      assert.equal(doc.production, false);
      assert.match(doc.changes.join('\n'), /removed the production marker/);
      const after = await run(['migrate', '--json']);
      assert.equal(sampleStatus(after.json), 'applied');
    });

    test('tracking tables: no privilege for an API-like role, RLS on; a GRANT by hand is a verify finding and the next migrate closes it', async (t) => {
      if (backend.name !== 'postgres') return t.skip('roles and default privileges are checked on the server (PGlite runs a single user)');
      const db = await backend.createDatabase();
      url = db.url;
      const role = `conn_anon_${randomBytes(4).toString('hex')}`;
      const admin = await connectForTest(url);
      // As on Supabase: default privileges on public hand every new table to the API role.
      await admin.exec(`CREATE ROLE ${role}; GRANT USAGE ON SCHEMA public TO ${role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${role};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ${role};`);
      cleanup.push(async () => {
        await admin.close();
        await db.drop();
        const server = await connectForTest(process.env.TEST_DATABASE_URL!);
        await server.exec(`DROP ROLE IF EXISTS ${role}`);
        await server.close();
      });

      const first = await run(['migrate']);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const privileges = async () =>
        (
          await admin.query<{ rel: string; rls: boolean; open: boolean }>(
            `SELECT c.relname AS rel, c.relrowsecurity AS rls,
                    has_table_privilege($1, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE') OR has_table_privilege('public', c.oid, 'SELECT,INSERT,UPDATE,DELETE') AS open
               FROM pg_class c WHERE c.relname = ANY ($2) AND c.relnamespace = 'public'::regnamespace ORDER BY 1`,
            [role, TRACKING],
          )
        ).rows;
      const closed = await privileges();
      assert.equal(closed.length, TRACKING.length);
      for (const r of closed) {
        assert.equal(r.rls, true, `${r.rel} has RLS on`);
        assert.equal(r.open, false, `${r.rel} is closed to ${role}`);
      }
      const sequences = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'S' AND relname LIKE '\\_%migrations\\_id\\_seq' AND has_sequence_privilege($1, oid, 'USAGE,SELECT,UPDATE')`, [role]);
      assert.equal(sequences.rows[0]!.n, 0, 'their sequences are closed too');
      // The application's own table keeps what the default privileges gave it.
      const app = await admin.query<{ ok: boolean }>(`SELECT has_table_privilege($1, 'prod_core', 'SELECT') AS ok`, [role]);
      assert.equal(app.rows[0]!.ok, true);

      await admin.exec(`GRANT SELECT, INSERT ON _migrations TO ${role}`);
      const verify = await run(['verify', '--json']);
      const findings = (JSON.parse(verify.stdout) as { findings: { rule: string; message: string; fix: string }[] }).findings.filter((f) => f.rule === 'db-tracking-open');
      assert.equal(findings.length, 1, verify.stdout);
      assert.match(findings[0]!.message, new RegExp(`_migrations is open: privileges held by ${role}`));
      assert.match(findings[0]!.fix, /REVOKE ALL ON TABLE/);
      assert.notEqual(verify.code, 0);

      const again = await run(['migrate']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, new RegExp(`locked down .*_migrations: revoked all privileges from ${role}`));
      assert.ok((await privileges()).every((r) => !r.open && r.rls));
      // Closed: a no-op run changes nothing and says nothing about it.
      const quiet = await run(['migrate']);
      assert.doesNotMatch(quiet.stdout, /locked down/);
    });
  });
}
