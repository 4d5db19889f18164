// Through PgBouncer in transaction-pooling mode: eight runners at once over a pool
// of two server connections, so no session state (session locks, SET) survives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, connectForTest } from './support/backends.js';
import { pgbouncerUnavailable, startPgbouncer } from './support/pgbouncer.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';

const server = backends.find((b) => b.name === 'postgres')!;

test('eight runners through PgBouncer (transaction pooling) apply each file exactly once', async (t) => {
  const reason = server.skipReason ?? pgbouncerUnavailable();
  if (reason) return t.skip(reason);
  const db = await server.createDatabase();
  const bouncer = await startPgbouncer(db.url, 2);
  const files: Record<string, string> = { 'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']) };
  // Not idempotent on purpose: running any file twice fails.
  for (let i = 1; i <= 15; i++) files[`migrations/${String(i).padStart(3, '0')}_step.sql`] = `CREATE TABLE step_${i} (id INT);\nINSERT INTO step_${i} VALUES (${i});\n`;
  files['contents/plugins/p1/entities/notes/migrations/001_create_notes.sql'] = 'CREATE TABLE notes (id INT);\n';
  const root = writeProject(files);
  try {
    const env = { DATABASE_URL: bouncer.urlFor(db.url), NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['migrate', '--root', root, '--json', '--no-env-file'], env)));
    for (const run of runs) assert.equal(run.code, 0, run.stderr || JSON.stringify(run.json?.error));
    const applied = runs.flatMap((r) => r.json!.migrations.filter((m) => m.status === 'applied').map((m) => m.filename));
    assert.equal(applied.length, 16);
    assert.equal(new Set(applied).size, 16);
    const again = await runCli(['migrate', '--root', root, '--json', '--no-env-file'], env);
    assert.equal(again.code, 0);
    assert.ok(again.json!.migrations.every((m) => m.status === 'skipped'));
    const client = await connectForTest(db.url);
    const rows = await client.query<{ n: number }>(`SELECT (SELECT count(*) FROM _migrations)::int + (SELECT count(*) FROM _entity_migrations)::int AS n`);
    await client.close();
    assert.equal(rows.rows[0]!.n, 16);
  } finally {
    bouncer.stop();
    removeProject(root);
    await db.drop();
  }
});
