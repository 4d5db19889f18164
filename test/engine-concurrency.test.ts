// Runners started together (replicas at boot) on one server database: one leads,
// the others wait for it instead of contending for the lock file by file; and a
// small trial of the soak (bench/soak.ts): runners SIGKILLed at random moments
// leave the database as a clean run does once the next run is over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, connectForTest } from './support/backends.js';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';
import { soak } from '../bench/soak.js';
import { startCountingProxy } from '../bench/proxy.js';

const server = backends.find((b) => b.name === 'postgres')!;

test('eight runners at once: one applies (nearly) every file, the others wait for it; each file once, all exit 0', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const db = await server.createDatabase();
  const files: Record<string, string> = { 'contents/themes/t1/config/theme.config.ts': themeConfig([]) };
  // Not idempotent on purpose: running any file twice fails. A little slow, so the
  // others are all waiting before the first runner is done.
  for (let i = 1; i <= 40; i++) files[`migrations/${String(i).padStart(3, '0')}_step.sql`] = `CREATE TABLE step_${i} (id INT);\nSELECT pg_sleep(0.01);\n`;
  const root = writeProject(files);
  const direct = new URL(db.url);
  const proxy = await startCountingProxy(direct.hostname, Number(direct.port || 5432));
  try {
    const url = new URL(db.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const env = { DATABASE_URL: url.toString(), NEXT_PUBLIC_ACTIVE_THEME: 't1' };
    proxy.take();
    const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['migrate', '--root', root, '--json', '--no-env-file'], env)));
    const roundTrips = proxy.take().roundTrips;
    for (const run of runs) assert.equal(run.code, 0, run.stderr || JSON.stringify(run.json?.error));
    const perRunner = runs.map((r) => r.json!.migrations.filter((m) => m.status === 'applied').length);
    assert.equal(perRunner.reduce((a, b) => a + b, 0), 40, `each file applied once: ${perRunner.join(', ')}`);
    // Runners queueing for the lock file by file each take it for every file (at least
    // 2 round trips × 40 files × 8 runners: about 720 measured); followers only look now and then.
    assert.ok(roundTrips < 480, `${roundTrips} round trips for 40 files and 8 runners`);
    assert.ok(Math.max(...perRunner) >= 30, `one runner leads: ${perRunner.join(', ')}`);
    for (const run of runs) {
      const skipped = run.json!.migrations.filter((m) => m.status === 'skipped').length;
      assert.equal(skipped + run.json!.migrations.filter((m) => m.status === 'applied').length, 40);
    }
    const c = await connectForTest(db.url);
    const n = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM _migrations')).rows[0]!.n;
    await c.close();
    assert.equal(n, 40);
  } finally {
    await proxy.close();
    removeProject(root);
    await db.drop();
  }
});

test('soak, small trial: two runs SIGKILLed at a random moment end as the clean run once the next run is over', async (t) => {
  if (server.skipReason) return t.skip(server.skipReason);
  const result = await soak({ url: process.env.TEST_DATABASE_URL!, concurrentTrials: 0, killTrials: 2, runners: 1, seed: Date.now() % 100_000, log: () => undefined });
  assert.deepEqual(result.failures, []);
});
