// Command-line options of `npm run bench` and what each mode covers.
import { parseArgs } from 'node:util';
import type { CorpusName } from './workspace.js';

export interface BenchOptions {
  mode: 'full' | 'quick' | 'smoke' | 'custom';
  runs: number;
  /** Corpora of the server scenarios (fresh apply and no-op run). */
  corpora: CorpusName[];
  statusCorpora: CorpusName[];
  embeddedCorpora: CorpusName[];
  verifyCorpora: CorpusName[];
  /** Corpora of the shadow checks (verify --fresh, --idempotency, --isolation on an in-memory PGlite). */
  shadowCorpora: CorpusName[];
  /** `--only shadow`: nothing but the shadow checks. */
  only: 'shadow' | null;
  adminUrl: string;
  seed: number;
  smallTheme: string;
  write: boolean;
  keep: boolean;
  profile: boolean;
  /** Re-render the Markdown of an existing results JSON file instead of running. */
  render: string | null;
}

export const USAGE = `Usage: npm run bench -- [options]

Benchmarks tiered-migrate's migrate, status and verify against the floor (psql; a bare
node + pg SELECT 1) and against dbmate and node-pg-migrate, on generated corpora.
Build the engine first (npm run build): the benchmark runs a copy of what the
package installs (bin/tiered-migrate.mjs, dist/, migrations/). npm run bench
installs the peers into bench/node_modules (bench/package.json) and builds the
harness into bench/dist/ when needed.

Modes:
  (none)            every corpus and scenario (embedded PGlite on medium), 5 timed runs each;
                    writes bench/results/<date>.{json,md}; about 12 minutes on 2 cores, plus
                    the shadow checks on small (--shadow small,large adds the large corpus:
                    its --idempotency alone takes many minutes per run)
  --quick           the same with 3 timed runs; writes results too
  --smoke           the small corpus, 1 run per contender, nothing written; exit 1 on any harness failure

Options:
  --runs N          timed runs per cell (at least 1; the full mode's 5 is the minimum for a report)
  --corpus LIST     comma-separated: small,s100,medium,s1000,large,rows
  --embedded LIST   corpora of the embedded PGlite runs (default: medium, or medium and large
                    among --corpus); none to skip them
  --shadow LIST     corpora of the shadow checks, verify --no-db --fresh / --idempotency /
                    --isolation (default: small; 2026-12-02-shadow.md has large); none to skip them
  --only shadow     run the shadow checks alone (no server scenarios, embedded runs, static
                    verify, imports or profiles); the server still orders the corpus files
  --url URL         admin connection (default BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres);
                    the harness creates and drops its own bench_<random>_<n> databases there
  --seed N          corpus seed (default 20251125)
  --small-theme T   active theme of the small corpus (default: default)
  --no-write        print only; do not write bench/results/
  --no-profile      skip the CPU profiles of ours
  --keep            keep bench/work/<run>/ (corpora, logs) for inspection
  --render FILE     rewrite FILE's Markdown twin (bench/results/<date>.md) from FILE (<date>.json)
                    and print the tables: after a change to the report's format, no rerun needed
  -h, --help`;

const ALL: CorpusName[] = ['small', 's100', 'medium', 's1000', 'large', 'rows'];

/** Parses argv; throws a usage message on bad input. Returns null for --help. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      smoke: { type: 'boolean' },
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      corpus: { type: 'string' },
      embedded: { type: 'string' },
      shadow: { type: 'string' },
      only: { type: 'string' },
      url: { type: 'string' },
      seed: { type: 'string' },
      'small-theme': { type: 'string' },
      'no-write': { type: 'boolean' },
      'no-profile': { type: 'boolean' },
      keep: { type: 'boolean' },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (values.smoke && values.quick) throw new Error('--smoke and --quick are different modes: pass one');
  const mode: BenchOptions['mode'] = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const runs = values.runs !== undefined ? Number(values.runs) : mode === 'full' ? 5 : mode === 'quick' ? 3 : 1;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  let corpora: CorpusName[] = mode === 'smoke' ? ['small'] : ALL;
  if (values.corpus !== undefined) {
    const asked = values.corpus.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = asked.filter((c) => !ALL.includes(c as CorpusName));
    if (unknown.length > 0) throw new Error(`unknown corpus ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
    corpora = ALL.filter((c) => asked.includes(c));
  }
  const seed = values.seed !== undefined ? Number(values.seed) : 20251125;
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  if (values.only !== undefined && values.only !== 'shadow') throw new Error(`--only takes shadow, got ${values.only}`);
  const onlyShadow = values.only === 'shadow';
  const custom = values.corpus !== undefined || values.runs !== undefined || values.embedded !== undefined || values.shadow !== undefined || onlyShadow;
  const corpusList = (text: string, flag: string): CorpusName[] => {
    if (text.trim() === 'none') return [];
    const asked = text.split(',').map((c) => c.trim()).filter(Boolean);
    const unknown = asked.filter((c) => !ALL.includes(c as CorpusName));
    if (unknown.length > 0) throw new Error(`unknown corpus ${unknown.join(', ')} in ${flag}; known: ${ALL.join(', ')}`);
    return ALL.filter((c) => asked.includes(c));
  };
  const only = (list: CorpusName[]) => list.filter((c) => corpora.includes(c));
  // The shadow checks read files only: their corpora are not limited by --corpus.
  const shadowCorpora = values.shadow !== undefined ? corpusList(values.shadow, '--shadow') : (['small'] as CorpusName[]);
  if (onlyShadow) {
    return {
      mode: mode === 'smoke' ? 'smoke' : 'custom',
      runs,
      corpora: [],
      statusCorpora: [],
      embeddedCorpora: [],
      verifyCorpora: [],
      shadowCorpora,
      only: 'shadow',
      adminUrl: values.url ?? env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      seed,
      smallTheme: values['small-theme'] ?? 'default',
      write: !values['no-write'] && mode !== 'smoke',
      keep: values.keep ?? false,
      profile: false,
      render: values.render ?? null,
    };
  }
  return {
    mode: custom && mode !== 'smoke' ? 'custom' : mode,
    runs,
    corpora,
    statusCorpora: only(['small', 'medium', 'large']),
    // PGlite's cost is mostly its own start and memory (about the same on medium and large):
    // large joins only when asked for with --corpus, to keep the full run short.
    embeddedCorpora: values.embedded !== undefined ? corpusList(values.embedded, '--embedded') : mode === 'smoke' ? only(['small']) : custom ? only(['medium', 'large']) : only(['medium']),
    verifyCorpora: mode === 'smoke' ? only(['small']) : only(['large']),
    shadowCorpora,
    only: null,
    adminUrl: values.url ?? env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    seed,
    smallTheme: values['small-theme'] ?? 'default',
    write: !values['no-write'] && mode !== 'smoke',
    keep: values.keep ?? false,
    profile: !values['no-profile'] && mode !== 'smoke',
    render: values.render ?? null,
  };
}
