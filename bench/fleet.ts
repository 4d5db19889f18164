// Fleet benchmark: N tenant databases on a local server, the package's own (shipped)
// migrations, fresh apply and no-op run, `migrate --targets` at --concurrency 1 / 4 / 8
// against a shell loop running the single-target command once per tenant (the floor
// a user writes today). Reports wall time, targets per second, speed-up over the loop
// and the peak RSS of the measured process (/usr/bin/time). Not part of `npm test`.
//
//   node scripts/build.mjs && npx tsc --module nodenext --moduleResolution nodenext --target es2022 --strict \
//     --skipLibCheck --outDir build/bench-fleet bench/fleet.ts && node build/bench-fleet/fleet.js --targets 200 [--url postgres://…]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '200' },
    url: { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    concurrency: { type: 'string', default: '1,4,8' },
    repo: { type: 'string', default: process.cwd() },
  },
});
const count = Number(values.targets);
const levels = values.concurrency!.split(',').map(Number);
const cli = path.join(values.repo!, 'scripts', 'db.mjs');
const names = Array.from({ length: count }, (_, i) => `fleet_bench_${String(i + 1).padStart(4, '0')}`);
const urlOf = (name: string) => {
  const u = new URL(values.url!);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin<R>(fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: values.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops and makes every tenant database again, four at a time. */
async function freshDatabases(): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, () =>
      admin(async (c) => {
        while (next < names.length) {
          const name = names[next++]!;
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.query(`CREATE DATABASE ${name}`);
        }
      }),
    ),
  );
}

interface Timed {
  ms: number;
  rssKb: number;
  code: number;
}

/** One process, timed, with its peak RSS from /usr/bin/time. */
function timed(args: string[], env: Record<string, string>): Timed {
  const rssFile = path.join(work, 'rss');
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  return { ms, rssKb: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)), code: run.status ?? -1 };
}

const work = mkdtempSync(path.join(tmpdir(), 'fleet-bench-'));
const root = path.join(work, 'app');
mkdirSync(path.join(root, 'contents', 'themes', 't1', 'config'), { recursive: true });
writeFileSync(path.join(root, 'contents', 'themes', 't1', 'config', 'theme.config.ts'), "export const themeConfig = { name: 't1', plugins: [] as const };\nexport default themeConfig;\n");
const targetsFile = path.join(work, 'targets.txt');
writeFileSync(targetsFile, names.map((n) => `${n} ${urlOf(n)}`).join('\n') + '\n');
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NEXT_PUBLIC_ACTIVE_THEME: 't1', NO_COLOR: '1' };
const common = ['--root', root, '--no-env-file', '--no-sample-data', '--quiet'];

function loop(): Timed {
  const total: Timed = { ms: 0, rssKb: 0, code: 0 };
  for (const name of names) {
    const one = timed(['migrate', ...common], { DATABASE_URL: urlOf(name) });
    total.ms += one.ms;
    total.rssKb = Math.max(total.rssKb, one.rssKb);
    total.code = Math.max(total.code, one.code);
  }
  return total;
}

const fleet = (concurrency: number) => timed(['migrate', '--targets', targetsFile, '--concurrency', String(concurrency), ...common], {});

const rows: string[] = [];
const line = (mode: string, fresh: Timed, noop: Timed, loopFresh: Timed, loopNoop: Timed) => {
  const tps = (t: Timed) => (count / (t.ms / 1000)).toFixed(1);
  rows.push(
    `| ${mode} | ${(fresh.ms / 1000).toFixed(1)} | ${tps(fresh)} | ${(loopFresh.ms / fresh.ms).toFixed(2)}× | ${(noop.ms / 1000).toFixed(1)} | ${tps(noop)} | ${(loopNoop.ms / noop.ms).toFixed(2)}× | ${Math.round(Math.max(fresh.rssKb, noop.rssKb) / 1024)} | ${fresh.code}/${noop.code} |`,
  );
  console.error(rows.at(-1));
};

try {
  console.error(`${count} databases, levels ${levels.join(', ')}`);
  await freshDatabases();
  const loopFresh = loop();
  const loopNoop = loop();
  line('shell loop (single-target command per tenant)', loopFresh, loopNoop, loopFresh, loopNoop);
  const single = timed(['migrate', ...common], { DATABASE_URL: urlOf(names[0]!) });
  for (const c of levels) {
    await freshDatabases();
    const fresh = fleet(c);
    const noop = fleet(c);
    line(`fleet --concurrency ${c}`, fresh, noop, loopFresh, loopNoop);
    if (c === levels.at(-1)) console.error(`no-op fleet of ${count} / one no-op single run: ${(noop.ms / single.ms).toFixed(1)}× (single: ${single.ms.toFixed(0)} ms)`);
  }
  console.log(`| mode | fresh s | fresh targets/s | fresh speed-up vs loop | no-op s | no-op targets/s | no-op speed-up vs loop | peak RSS MB | exit fresh/no-op |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  for (const r of rows) console.log(r);
  console.log(`\nOne no-op single-target run: ${single.ms.toFixed(0)} ms.`);
} finally {
  await admin(async (c) => {
    for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`).catch(() => undefined);
  });
  rmSync(work, { recursive: true, force: true });
}
