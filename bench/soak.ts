// Soak: what replicas booting together and crashing do to a database, compared
// with one clean run. On a generated 100-file corpus (s100), against a server:
//   - concurrent trials: N runners at once on a fresh database; all exit 0, every
//     file applied by exactly one, and the database ends as the clean run left it;
//   - kill trials: runners at once, one of them (or the only one) SIGKILLed at a
//     random moment; the others finish, a last runner completes the work, and the
//     database ends as the clean run left it (schema, tracking rows, row counts).
// Not part of `npm test` (a two-kill trial of it is); not part of `npm run bench`.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/soak.js [--url postgres://…] [--concurrent 3] [--kills 20] [--runners 10]
import { parseArgs } from 'node:util';
import {
  checkExactlyOnce,
  createScratchDatabase,
  fingerprint,
  prepareCorpus,
  runTogether,
  startRunner,
  waitForIdle,
  type Corpus,
} from './runners.js';
import { seeded } from './random.js';

export interface SoakOptions {
  url: string;
  concurrentTrials: number;
  killTrials: number;
  /** Runners per concurrent trial. */
  runners: number;
  seed: number;
  log: (line: string) => void;
}

export interface SoakResult {
  failures: string[];
  trials: number;
  ms: number;
}

/** Runs the soak; every trial that ends differently from the clean run is a failure. */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const corpus = await prepareCorpus('s100');
  const failures: string[] = [];
  const rnd = seeded(options.seed);
  try {
    const clean = await cleanRun(corpus, options.url);
    options.log(`clean run: ${corpus.files} files in ${Math.round(clean.ms)} ms`);
    for (let t = 1; t <= options.concurrentTrials; t++) {
      const problem = await withDatabase(options.url, async (url) => {
        const { ms, exits } = await runTogether(corpus, url, options.runners);
        const once = checkExactlyOnce(exits, corpus.files);
        if (once) return once;
        options.log(`concurrent ${t}: ${options.runners} runners, ${Math.round(ms)} ms`);
        return (await fingerprint(url)) === clean.print ? null : 'the database differs from the clean run';
      });
      if (problem) failures.push(`concurrent ${t}: ${problem}`);
    }
    for (let t = 1; t <= options.killTrials; t++) {
      // Odd trials kill the only runner; even ones kill one of three running together.
      const together = t % 2 === 0 ? 3 : 1;
      const victim = Math.floor(rnd.next() * together);
      const after = Math.round(rnd.next() * clean.ms * 1.1);
      const problem = await withDatabase(options.url, async (url) => {
        const runners = Array.from({ length: together }, () => startRunner(corpus, url));
        await new Promise((resolve) => setTimeout(resolve, after));
        runners[victim]!.child.kill('SIGKILL');
        const exits = await Promise.all(runners.map((r) => r.done));
        const others = exits.filter((_, i) => i !== victim);
        const bad = others.find((e) => e.code !== 0);
        if (bad) return `a runner that was not killed exited ${bad.code}: ${bad.error ?? ''}`;
        await waitForIdle(url);
        const last = await startRunner(corpus, url).done;
        if (last.code !== 0) return `the run after the kill exited ${last.code}: ${last.error ?? ''}`;
        const killed = exits[victim]!;
        options.log(`kill ${t}: ${together} runner(s), SIGKILL after ${after} ms (${killed.signal ? 'killed' : `had exited ${killed.code}`}); the next run applied ${last.applied.length}`);
        return (await fingerprint(url)) === clean.print ? null : 'the database differs from the clean run';
      });
      if (problem) failures.push(`kill ${t} (after ${after} ms): ${problem}`);
    }
  } finally {
    corpus.remove();
  }
  return { failures, trials: options.concurrentTrials + options.killTrials, ms: performance.now() - started };
}

async function cleanRun(corpus: Corpus, adminUrl: string): Promise<{ ms: number; print: string }> {
  let result: { ms: number; print: string } | null = null;
  const problem = await withDatabase(adminUrl, async (url) => {
    const { ms, exits } = await runTogether(corpus, url, 1);
    const once = checkExactlyOnce(exits, corpus.files);
    if (once) return once;
    result = { ms, print: await fingerprint(url) };
    return null;
  });
  if (problem || !result) throw new Error(`the clean run failed: ${problem}`);
  return result;
}

async function withDatabase(adminUrl: string, fn: (url: string) => Promise<string | null>): Promise<string | null> {
  const db = await createScratchDatabase(adminUrl, 'tm_soak');
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      concurrent: { type: 'string', default: '3' },
      kills: { type: 'string', default: '20' },
      runners: { type: 'string', default: '10' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
    },
  });
  const seed = Number(values.seed);
  process.stdout.write(`soak seed ${seed}\n`);
  const result = await soak({
    url: values.url!,
    concurrentTrials: Number(values.concurrent),
    killTrials: Number(values.kills),
    runners: Number(values.runners),
    seed,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  for (const f of result.failures) process.stdout.write(`FAILED ${f}\n`);
  process.stdout.write(`${result.trials} trials, ${result.failures.length} failed, ${(result.ms / 1000).toFixed(1)} s\n`);
  return result.failures.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
