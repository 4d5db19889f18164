// Replicas booting together: N migration runners started at once on a fresh
// database, on a generated 100-file corpus (s100). Measures the wall time until
// the last runner exits against one runner alone, and checks every trial: all
// exit 0, every file applied exactly once. Then the same N runners again on the
// migrated database (nothing to do): what N processes cost to start and plan on
// this machine, the floor under the first figure. Not part of `npm run bench` or `npm test`.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/concurrency.js [--url postgres://…] [--runners 1,4,10] [--trials 5] [--shape s100]
//
// The URL (default TEST_DATABASE_URL) is an admin connection: a scratch database
// is created and dropped per trial. Trials rotate the runner counts, so a drift in
// the machine's speed touches every count alike; the ratio is median to median.
import { parseArgs } from 'node:util';
import { SHAPES, type ShapeName } from './corpus.js';
import { checkExactlyOnce, createScratchDatabase, prepareCorpus, runTogether } from './runners.js';
import { median, rotate } from './stats.js';

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      runners: { type: 'string', default: '1,4,10' },
      trials: { type: 'string', default: '5' },
      shape: { type: 'string', default: 's100' },
    },
  });
  const counts = values.runners!.split(',').map(Number);
  const trials = Number(values.trials);
  const shape = values.shape as ShapeName;
  if (!(shape in SHAPES) || counts.some((n) => !(n >= 1)) || !(trials >= 1)) {
    process.stderr.write('usage: concurrency.js [--url URL] [--runners 1,4,10] [--trials 5] [--shape s100]\n');
    return 2;
  }
  const corpus = await prepareCorpus(shape);
  const times = new Map<number, number[]>(counts.map((n) => [n, []]));
  const floors = new Map<number, number[]>(counts.map((n) => [n, []]));
  let failures = 0;
  try {
    for (let t = 0; t < trials; t++) {
      for (const n of rotate(counts, t)) {
        const db = await createScratchDatabase(values.url!, 'tm_conc');
        try {
          const { ms, exits } = await runTogether(corpus, db.url, n);
          const problem = checkExactlyOnce(exits, corpus.files);
          if (problem) failures++;
          times.get(n)!.push(ms);
          const noop = await runTogether(corpus, db.url, n);
          if (noop.exits.some((e) => e.code !== 0 || e.applied.length > 0)) failures++;
          floors.get(n)!.push(noop.ms);
          process.stdout.write(`trial ${t + 1} N=${n}: ${Math.round(ms)} ms, nothing to do: ${Math.round(noop.ms)} ms${problem ? `  FAILED: ${problem}` : ''}\n`);
        } finally {
          await db.drop();
        }
      }
    }
  } finally {
    corpus.remove();
  }
  const base = median(times.get(counts[0]!)!)!;
  const floorBase = median(floors.get(counts[0]!)!)!;
  const range = (list: number[]) => `${Math.round(median(list)!)} ms (${Math.round(Math.min(...list))}–${Math.round(Math.max(...list))})`;
  process.stdout.write(`\n${corpus.files} files (${shape}), ${trials} trials; wall time until the last runner exits: median (min–max)\n`);
  process.stdout.write(`runners | fresh apply | ratio | nothing to do (start-up floor) | fresh − floor, ratio\n`);
  for (const n of counts) {
    const m = median(times.get(n)!)!;
    const f = median(floors.get(n)!)!;
    process.stdout.write(
      `N=${String(n).padStart(2)} | ${range(times.get(n)!)} | ${(m / base).toFixed(2)}× | ${range(floors.get(n)!)} | ${Math.round(m - f)} ms, ${((m - f) / (base - floorBase)).toFixed(2)}×\n`,
    );
  }
  if (failures > 0) process.stdout.write(`${failures} trial(s) FAILED the exactly-once check\n`);
  return failures > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
