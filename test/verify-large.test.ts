// db:verify on a generated project of 2,000 migration files, every tier, files
// shaped like real ones (the standard template, DO blocks, functions, seeds): no
// finding, in process and through the CLI. Timings are printed as diagnostics only;
// the speed target is measured by `npm run bench`, never asserted by a test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { repoRoot, removeProject, themeConfig, writeProject } from './support/project.js';
import { BASE } from './fixtures/verify/helpers.js';
import { tableTemplate } from '../src/scaffold/template.js';
import { discover } from '../src/discover/project.js';
import { locateCore } from '../src/discover/core-dir.js';
import { loadParser } from '../src/sql/statements.js';
import { verifyStatic } from '../src/verify/verify.js';

const pad = (n: number) => String(n).padStart(3, '0');

/** One realistic migration creating `table`, with extras that vary with `n`. */
function migration(filename: string, table: string, n: number, entity: string | null): string {
  let text = tableTemplate({ filename, sentence: `Generated ${table}`, date: '2025-01-19', table, entity });
  if (n % 5 === 0) {
    text += `\n-- Documented pattern for a column added later.\nDO $$\nBEGIN\n  IF NOT EXISTS (\n    SELECT 1 FROM information_schema.columns\n    WHERE table_name = '${table}' AND column_name = 'priority'\n  ) THEN\n    ALTER TABLE "${table}" ADD COLUMN priority TEXT DEFAULT 'medium';\n  END IF;\nEND $$;\n\nCREATE INDEX IF NOT EXISTS idx_${table}_priority ON "${table}"(priority);\n`;
  }
  if (n % 7 === 0) {
    text += `\nCREATE OR REPLACE FUNCTION public.${table}_count(owner TEXT)\nRETURNS BIGINT\nLANGUAGE sql\nSTABLE\nAS $$\n  SELECT count(*) FROM "${table}" WHERE "userId" = owner\n$$;\n`;
  }
  if (n % 11 === 0) {
    text += `\n-- Seed rows found by natural key.\nINSERT INTO "${table}" ("userId")\nSELECT u.id FROM "user" u WHERE u.email = 'admin@example.com'\nON CONFLICT DO NOTHING;\n`;
  }
  return text;
}

/** 2,000 files: 400 core, 200 theme, 4 plugins × 150, 40 entities × 20 (numbered across entities). */
function generate(): Record<string, string> {
  const files: Record<string, string> = { ...BASE };
  let n = 0;
  const add = (dir: string, number: number, table: string, entity: string | null = null) => {
    const filename = `${pad(number)}_create_${table}.sql`;
    files[`${dir}/${filename}`] = migration(filename, table, n++, entity);
  };
  for (let i = 2; i <= 400; i++) add('migrations', i, `core_t${i}`);
  const plugins = ['pa', 'pb', 'pc', 'pd'];
  files['contents/themes/big/config/theme.config.ts'] = themeConfig(plugins);
  for (let i = 1; i <= 200; i++) add('contents/themes/big/migrations', i, `theme_t${i}`);
  for (const p of plugins) for (let i = 1; i <= 150; i++) add(`contents/plugins/${p}/migrations`, i, `${p}_t${i}`);
  for (let e = 1; e <= 40; e++) {
    const owner = e % 2 === 0 ? 'themes/big' : `plugins/${plugins[e % 4]}`;
    for (let i = 1; i <= 20; i++) add(`contents/${owner}/entities/e${e}/migrations`, i, `e${e}_t${i}`, `e${e}`);
  }
  return files;
}

const root = writeProject(generate());
after(() => removeProject(root));

/** CPU time (user + system) of this process so far, in ms: what the work costs, whatever else the machine runs. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

// Wall-clock and CPU time are printed for a reader; `npm run bench` measures the target.
test('2,000 realistic files: static verification finds nothing', async (t) => {
  const discovered = await discover({ root, theme: 'big', core: locateCore(root, { dir: 'migrations', origin: 'option' }) });
  assert.equal(discovered.files.length, 2000);
  const parser = await loadParser();
  const wall: number[] = [];
  const cpu: number[] = [];
  let findings = -1;
  for (let run = 0; run < 1; run++) {
    const started = performance.now();
    const cpuStarted = cpuMs();
    const result = verifyStatic(parser, [{ label: 'big', files: discovered.files }]);
    wall.push(performance.now() - started);
    cpu.push(cpuMs() - cpuStarted);
    findings = result.findings.length;
    if (run === 0) assert.deepEqual(result.findings.slice(0, 3), []);
  }
  const bytes = discovered.files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
  const ms = (list: number[]) => list.map((v) => `${Math.round(v)} ms`).join(', ');
  t.diagnostic(`2000 files, ${(bytes / 1e6).toFixed(1)} MB, parse + corpus + rules: wall ${ms(wall)}; CPU ${ms(cpu)} (includes JIT warm-up)`);
  assert.equal(findings, 0);
});

test('2,000 realistic files: the CLI checks them all and exits 0 with ok JSON', (t) => {
  // The CLI in a fresh process, which reports its own CPU time when it is done.
  const script = `
    const { main } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'cli.js')).href)});
    const code = await main(${JSON.stringify(['verify', '--root', root, '--core-dir', 'migrations', '--theme', 'big', '--no-db', '--no-env-file', '--json'])});
    const { user, system } = process.cpuUsage();
    process.stderr.write('cpu ' + (user + system) / 1000 + '\\n');
    process.exitCode = code;`;
  const runs: { wall: number; cpu: number }[] = [];
  for (let attempt = 0; attempt < 1; attempt++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' }, maxBuffer: 1 << 24 });
    const wall = performance.now() - started;
    assert.equal(child.status, 0, child.stderr.toString());
    const doc = JSON.parse(child.stdout.toString()) as { ok: boolean; checked: number };
    assert.equal(doc.ok, true);
    assert.equal(doc.checked, 2000);
    runs.push({ wall, cpu: Number(/cpu ([\d.]+)/.exec(child.stderr.toString())?.[1]) });
  }
  t.diagnostic(`npm run db:verify on 2000 files (process start to exit): ${runs.map((r) => `${Math.round(r.wall)} ms wall / ${Math.round(r.cpu)} ms CPU`).join('; ')}`);
});
