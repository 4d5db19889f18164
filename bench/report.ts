// Tables of results: the same rows printed aligned on the terminal and written as
// Markdown. Also the verdict on each target of issues 5 and 8.
import { UNWANTED_ON_SERVER } from './loads.js';
import type { BenchResults, Scenario, Summary } from './results.js';
import { summarise } from './results.js';
import type { CorpusName } from './workspace.js';

type Table = { head: string[]; rows: string[][] };

const SCENARIO_TITLES: Record<Scenario, string> = {
  fresh: 'Fresh apply (server)',
  noop: 'No-op run, everything applied (server)',
  status: 'Status (server)',
  verify: 'Verify, static (no database)',
  'embedded-fresh': 'Embedded PGlite, fresh apply',
  'embedded-noop': 'Embedded PGlite, no-op run',
  'shadow-fresh': 'Shadow: verify --fresh (in-memory PGlite)',
  'shadow-idempotency': 'Shadow: verify --idempotency (in-memory PGlite)',
  'shadow-isolation': 'Shadow: verify --isolation (in-memory PGlite)',
};
// The shadow checks have no floor: one table of their own, side by side (shadowTable).
const SCENARIOS = (Object.keys(SCENARIO_TITLES) as Scenario[]).filter((s) => !s.startsWith('shadow-'));
const SHADOW_TITLE = 'Shadow checks (verify --no-db on a new in-memory PGlite per run)';
const SCALING: CorpusName[] = ['s100', 'medium', 's1000', 'large'];

const ms = (v: number | null) => (v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const times = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}×`);
const mb = (v: number | null) => (v === null ? '—' : `${Math.round(v)}`);
const int = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toLocaleString('en-US'));

function scenarioTable(summaries: readonly Summary[], scenario: Scenario): Table | null {
  const rows = summaries.filter((s) => s.cell.scenario === scenario);
  if (rows.length === 0) return null;
  return {
    head: ['corpus', 'files', 'contender', 'command', 'median', '× floor', '× paired', 'best', 'runs', 'peak RSS MB', 'queries', 'round trips', 'connections'],
    rows: rows.map((s) => {
      const c = s.cell;
      const state = c.failure ? 'FAILED' : c.notMeasured ? 'not measured' : ms(s.medianMs);
      return [
        c.corpus,
        String(c.files),
        c.contender,
        c.label,
        state,
        c.contender === 'floor' ? '1.00×' : times(s.ratioToFloor),
        c.contender === 'floor' ? '1.00×' : times(s.pairedRatio),
        ms(s.bestMs),
        String(c.wallMs.length),
        mb(s.peakRssMb),
        int(c.counts?.queries),
        int(c.counts?.roundTrips),
        int(c.counts?.connections),
      ];
    }),
  };
}

/** Median per contender at 100, 300, 1,000 and 2,000 files, and the cost each added file brings. */
function scalingTable(summaries: readonly Summary[], scenario: 'fresh' | 'noop'): Table | null {
  const cells = summaries.filter((s) => s.cell.scenario === scenario && SCALING.includes(s.cell.corpus));
  if (new Set(cells.map((s) => s.cell.corpus)).size < 2) return null;
  const contenders = [...new Set(cells.map((s) => s.cell.contender))];
  const files = (corpus: CorpusName) => cells.find((s) => s.cell.corpus === corpus)?.cell.files ?? null;
  return {
    head: ['contender', ...SCALING.map((c) => `${files(c) ?? '?'} files`), 'per added file', '× floor at 2,000'],
    rows: contenders.map((id) => {
      const at = (corpus: CorpusName) => cells.find((s) => s.cell.contender === id && s.cell.corpus === corpus);
      const first = at('s100');
      const last = at('large');
      const slope =
        first?.medianMs != null && last?.medianMs != null && first.cell.files !== last.cell.files
          ? (last.medianMs - first.medianMs) / (last.cell.files - first.cell.files)
          : null;
      return [id, ...SCALING.map((c) => ms(at(c)?.medianMs ?? null)), slope === null ? '—' : `${slope.toFixed(3)} ms`, times(last?.ratioToFloor ?? null)];
    }),
  };
}

/**
 * Per corpus, the wall time of each shadow check side by side (and of the static
 * verify when it ran on that corpus), then verify's own split of each: creating
 * the PGlite, applying the files, the second runs, the probe.
 */
function shadowTable(summaries: readonly Summary[]): Table | null {
  const cells = summaries.filter((s) => s.cell.scenario.startsWith('shadow-'));
  if (cells.length === 0) return null;
  const corpora = [...new Set(cells.map((s) => s.cell.corpus))];
  const shown = (s: Summary | undefined) => (!s ? '—' : s.cell.failure ? 'FAILED' : s.cell.notMeasured ? 'not measured' : ms(s.medianMs));
  return {
    head: ['corpus', 'files', 'static', '--fresh', '--idempotency', '--isolation', 'PGlite start', 'apply', 'second runs', 'probe', 'idempotency × fresh', 'peak RSS MB'],
    rows: corpora.map((corpus) => {
      const at = (scenario: Scenario) => summaries.find((s) => s.cell.corpus === corpus && s.cell.scenario === scenario);
      const fresh = at('shadow-fresh');
      const idem = at('shadow-idempotency');
      const iso = at('shadow-isolation');
      const rss = [fresh, idem, iso].map((s) => s?.peakRssMb ?? null).filter((v): v is number => v !== null);
      return [
        corpus,
        String(fresh?.cell.files ?? idem?.cell.files ?? '?'),
        shown(at('verify')),
        shown(fresh),
        shown(idem),
        shown(iso),
        ms(fresh?.cell.shadow?.database ?? null),
        ms(fresh?.cell.shadow?.fresh ?? null),
        ms(idem?.cell.shadow?.idempotency ?? null),
        ms(iso?.cell.shadow?.isolation ?? null),
        times(idem?.medianMs != null && fresh?.medianMs ? idem.medianMs / fresh.medianMs : null),
        rss.length === 0 ? '—' : mb(Math.max(...rss)),
      ];
    }),
  };
}

export interface Verdict {
  target: string;
  measured: string;
  met: boolean | null;
}

/** Each target of issues 5 and 8 against what this run measured (null: not measured). */
export function verdicts(results: BenchResults): Verdict[] {
  const summaries = summarise(results.cells);
  const find = (corpus: CorpusName, scenario: Scenario, contender: string) =>
    summaries.find((s) => s.cell.corpus === corpus && s.cell.scenario === scenario && s.cell.contender === contender && !s.cell.failure && !s.cell.notMeasured);
  const out: Verdict[] = [];

  const noops = summaries.filter((s) => s.cell.scenario === 'noop' && s.cell.contender === 'ours' && s.ratioToFloor !== null);
  if (noops.length > 0) {
    const worst = noops.reduce((a, b) => (b.ratioToFloor! > a.ratioToFloor! ? b : a));
    out.push({
      target: 'no-op run ≤ 1.3× the bare node floor, every corpus',
      measured: noops.map((s) => `${s.cell.corpus} ${times(s.ratioToFloor)}`).join(', ') + ` (worst: ${worst.cell.corpus}; paired ${times(worst.pairedRatio)})`,
      met: noops.every((s) => s.ratioToFloor! <= 1.3),
    });
  }
  // Issue 8, start-up cost: the installed command's no-op run against the floor, paired.
  for (const [corpus, bound] of [['small', 1.3], ['large', 1.4]] as const) {
    const ours = find(corpus, 'noop', 'ours');
    if (!ours || ours.pairedRatio === null) continue;
    const floor = find(corpus, 'noop', 'floor');
    out.push({
      target: `no-op run of the installed command ≤ ${bound}× the floor on ${corpus}, paired`,
      measured: `${times(ours.pairedRatio)} (${ms(ours.medianMs)} vs ${ms(floor?.medianMs ?? null)}; ratio of medians ${times(ours.ratioToFloor)})`,
      met: ours.pairedRatio <= bound,
    });
  }
  for (const corpus of ['medium', 'large'] as const) {
    const ours = find(corpus, 'fresh', 'ours');
    if (!ours) continue;
    const floor = find(corpus, 'fresh', 'floor');
    out.push({
      target: `fresh apply ≤ 1.15× psql on ${corpus}`,
      measured: `${times(ours.ratioToFloor)} (${ms(ours.medianMs)} vs ${ms(floor?.medianMs ?? null)}; paired ${times(ours.pairedRatio)})`,
      met: ours.ratioToFloor !== null && ours.ratioToFloor <= 1.15,
    });
    const peers = (['dbmate', 'node-pg-migrate'] as const).map((p) => find(corpus, 'fresh', p));
    const known = peers.filter((p): p is Summary => p !== undefined);
    out.push({
      target: `fresh apply faster than both peers on ${corpus}`,
      measured: [`ours ${ms(ours.medianMs)}`, ...known.map((p) => `${p.cell.contender} ${ms(p.medianMs)}`)].join(', '),
      met: known.length === 2 ? known.every((p) => ours.medianMs! < p.medianMs!) : null,
    });
  }
  const status = find('large', 'status', 'ours');
  if (status) out.push({ target: 'status ≤ 1.3× the bare floor on large', measured: `${times(status.ratioToFloor)} (${ms(status.medianMs)}; paired ${times(status.pairedRatio)})`, met: status.ratioToFloor !== null && status.ratioToFloor <= 1.3 });
  const verify = summaries.find((s) => s.cell.corpus === 'large' && s.cell.scenario === 'verify');
  if (verify) {
    out.push({
      target: 'verify static ≤ 2 s on large',
      measured: verify.cell.notMeasured ? `not measured: ${verify.cell.notMeasured}` : verify.cell.failure ? 'failed' : ms(verify.medianMs),
      met: verify.medianMs === null ? null : verify.medianMs <= 2000,
    });
  }
  const largeServer = summaries.filter((s) => s.cell.corpus === 'large' && s.cell.contender === 'ours' && ['fresh', 'noop', 'status'].includes(s.cell.scenario) && s.peakRssMb !== null);
  if (largeServer.length > 0) {
    const worst = largeServer.reduce((a, b) => (b.peakRssMb! > a.peakRssMb! ? b : a));
    out.push({ target: 'peak memory ≤ 150 MB on large (server)', measured: `${mb(worst.peakRssMb)} MB (${worst.cell.scenario})`, met: worst.peakRssMb! <= 150 });
  }
  const embedded = summaries.filter((s) => s.cell.scenario.startsWith('embedded') && s.peakRssMb !== null);
  if (embedded.length > 0) {
    const worst = embedded.reduce((a, b) => (b.peakRssMb! > a.peakRssMb! ? b : a));
    out.push({ target: 'peak memory ≤ 150 MB (embedded PGlite)', measured: `${mb(worst.peakRssMb)} MB (${worst.cell.corpus}, ${worst.cell.scenario})`, met: worst.peakRssMb! <= 150 });
  }
  const serverLoads = Object.entries(results.loads).filter(([what]) => /^(db:)?migrate/.test(what) && what.endsWith('on a server'));
  if (serverLoads.length > 0) {
    const found = serverLoads.map(([what, report]) => {
      if ('error' in report) return { what, text: 'not measured', unwanted: null };
      const unwanted = UNWANTED_ON_SERVER.filter((p) => report.packages[p] !== undefined);
      return { what, text: unwanted.length === 0 ? 'none' : unwanted.join(', '), unwanted };
    });
    out.push({
      target: 'migrate on a server loads no parser, no PGlite, no better-auth, no esbuild',
      measured: found.map((f) => `${f.what.replace(/^(db:)?migrate, /, '').replace(', on a server', '')}: ${f.text}`).join('; '),
      met: found.some((f) => f.unwanted === null) ? null : found.every((f) => f.unwanted!.length === 0),
    });
  }
  return out;
}

function importTable(results: BenchResults): Table {
  return { head: ['module', 'import ms'], rows: results.importTimes.map((t) => [t.module, t.error ? `failed: ${t.error}` : ms(t.medianMs)]) };
}

function toText(table: Table): string {
  const widths = table.head.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

function toMarkdown(table: Table): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  return [`| ${table.head.map(esc).join(' | ')} |`, `|${table.head.map(() => '---').join('|')}|`, ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function machineLines(results: BenchResults): string[] {
  const m = results.machine;
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; load average at start ${m.loadAverage.join(' ')}`,
    `PostgreSQL: ${m.postgres}`,
    `Node: ${m.node} · ${m.psql} · ${m.dbmate} · node-pg-migrate ${m.nodePgMigrate}`,
    `Engine: dist/ built ${m.engineBuiltAt}, repository at commit ${m.commit}${m.uncommittedEngineChanges.length > 0 ? ` with uncommitted changes in ${m.uncommittedEngineChanges.length} file(s) of src/ or scripts/` : ''}`,
    `Mode: ${results.mode}, ${results.runs} timed run(s) per cell, contenders alternated run by run; seed ${results.seed}; took ${Math.round(results.durationS)} s`,
  ];
}

/** Everything, as the terminal shows it. */
export function renderText(results: BenchResults): string {
  const summaries = summarise(results.cells);
  const parts = [machineLines(results).join('\n')];
  for (const scenario of SCENARIOS) {
    const table = scenarioTable(summaries, scenario);
    if (table) parts.push(`${SCENARIO_TITLES[scenario]}\n${toText(table)}`);
  }
  for (const scenario of ['noop', 'fresh'] as const) {
    const table = scalingTable(summaries, scenario);
    if (table) parts.push(`Scaling, ${scenario === 'noop' ? 'no-op run' : 'fresh apply'} (median)\n${toText(table)}`);
  }
  const shadow = shadowTable(summaries);
  if (shadow) parts.push(`${SHADOW_TITLE}\n${toText(shadow)}`);
  if (results.importTimes.length > 0) parts.push(`Import cost, fresh process (median)\n${toText(importTable(results))}`);
  const v = verdicts(results);
  if (v.length > 0) parts.push(`Targets (issues 5 and 8)\n${toText({ head: ['target', 'measured', 'met'], rows: v.map((x) => [x.target, x.measured, x.met === null ? '—' : x.met ? 'yes' : 'NO']) })}`);
  if (results.failures.length > 0) parts.push(`FAILURES\n${results.failures.join('\n\n')}`);
  return parts.join('\n\n');
}

/** The Markdown report the README links to. */
export function renderMarkdown(results: BenchResults): string {
  const summaries = summarise(results.cells);
  const out: string[] = [`# Benchmark results, ${results.date}`, '', 'Written by `npm run bench` (`bench/run.mjs`); the same numbers are in the JSON file of the same date.', ''];
  out.push(...machineLines(results).map((l) => `- ${l}`), '');
  out.push(
    '**How to read it.** Wall time is the median of the timed runs, from spawning the command to its exit; `best` is the fastest run ',
    '(every run is in the JSON file). `× floor` is the ratio of the medians; `× paired` is the median over rounds of this run divided by the ',
    "floor's run of the same round — rounds are seconds apart, so on a machine shared with other work it cancels slow swings of load that the ratio of medians does not. ",
    '`× floor` divides it by the floor of the same corpus and scenario: `psql` applying the same files in the same order, one session, ',
    '`BEGIN`/`COMMIT` around each file (fresh apply), or a bare `node` process that loads `pg`, connects and runs `SELECT 1` (no-op run, status). ',
    'Peak RSS is the largest resident set over the runs (GNU time `%M`; each contender is one process). ',
    '`queries` counts what the client sent in one extra, untimed run through a counting proxy: simple-protocol Query messages plus extended-protocol Execute messages ',
    '(a Query message may carry a whole file of statements; psql sends one per statement). `round trips` counts Query plus Sync messages (each waits for the server). ',
    'Fresh applies are counted on small, medium and large only (the counted run is also the warm-up; the scaling and insert-heavy corpora skip it to keep the run short). ',
    'dbmate runs as its own Go binary (not through its npm wrapper script, which adds a Node start); node-pg-migrate with one transaction per file, like the others.',
    '',
    '## Corpora',
    '',
    ...Object.entries(results.corpora).map(([name, c]) => `- \`${name}\`: ${c.files} files, ${c.note}`),
    '',
  );
  for (const scenario of SCENARIOS) {
    const table = scenarioTable(summaries, scenario);
    if (table) out.push(`## ${SCENARIO_TITLES[scenario]}`, '', toMarkdown(table), '');
  }
  for (const scenario of ['noop', 'fresh'] as const) {
    const table = scalingTable(summaries, scenario);
    if (table) out.push(`## Scaling: ${scenario === 'noop' ? 'no-op run' : 'fresh apply'}`, '', toMarkdown(table), '');
  }
  const shadow = shadowTable(summaries);
  if (shadow) {
    out.push(
      `## ${SHADOW_TITLE}`,
      '',
      'Median wall time of each check, from spawning the command to its exit (exit 1, findings reported, counts as a run). ',
      "The split is verify's own (`--json`, `shadow.setups[].timings`): PGlite start, applying the files through the engine, the second run of each file, the probe.",
      '',
      toMarkdown(shadow),
      '',
    );
  }
  const v = verdicts(results);
  if (v.length > 0) {
    out.push('## Targets (issues 5 and 8)', '', toMarkdown({ head: ['target', 'measured', 'met'], rows: v.map((x) => [x.target, x.measured, x.met === null ? '—' : x.met ? 'yes' : '**no**']) }), '');
  }
  const loads = Object.entries(results.loads);
  if (loads.length > 0) {
    out.push('## Modules loaded', '');
    for (const [what, report] of loads) {
      if ('error' in report) out.push(`- ${what}: not measured (${report.error})`);
      else out.push(`- ${what}: packages ${Object.entries(report.packages).map(([p, n]) => `\`${p}\` (${n})`).join(', ') || 'none'}; ${report.ours.length} of our modules`);
    }
    out.push('');
  }
  if (results.importTimes.length > 0) {
    out.push('## Import cost', '', 'Milliseconds to `import` each in a fresh Node process (median; Node\'s own start not included).', '', toMarkdown(importTable(results)), '');
  }
  for (const [what, profile] of Object.entries(results.profiles)) {
    out.push(`## Where the time goes: ${what}`, '');
    if ('error' in profile) {
      out.push(`Not measured: ${profile.error}`, '');
      continue;
    }
    out.push(
      `CPU profile (\`node --cpu-prof\`): the run took ${profile.wallMs} ms, ${profile.profiledMs} ms of it profiled (the rest is Node starting). `,
      'Time by place: each sample counts for the innermost frame that is ours or a package\'s (file reads count for the code that asked for them); ',
      '`(idle)` is waiting for the server.',
      '',
    );
    out.push(toMarkdown({ head: ['place', 'ms'], rows: profile.byPlace.slice(0, 12).map((p) => [p.place, String(p.ms)]) }), '');
    out.push(toMarkdown({ head: ['function', 'place', 'self ms'], rows: profile.topFunctions.map((f) => [f.fn, f.place, String(f.ms)]) }), '');
  }
  if (results.failures.length > 0) out.push('## Failures', '', ...results.failures.map((f) => `\`\`\`\n${f}\n\`\`\``), '');
  return out.join('\n');
}
