// The shadow checks of verify (issue 12): `verify --no-db --fresh`, `--idempotency`
// and `--isolation` on one corpus, each a new in-memory PGlite, checks alternated
// run by run. Exit 1 (findings) still counts as a measured run; exit 2 means not
// available. Besides the wall time, each run's --json carries verify's own split
// (database, apply, second runs, probe), kept as medians. No server is involved.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { oursShadow, type ShadowCheck, type Toolbox } from './contenders.js';
import { displayCommand, measure } from './measure.js';
import type { BenchResults, Cell, ShadowScenario, ShadowSplit } from './results.js';
import { median, rotate } from './stats.js';
import type { PreparedCorpus } from './workspace.js';

export const SHADOW_CHECKS: readonly ShadowCheck[] = ['fresh', 'idempotency', 'isolation'];

export const scenarioOf = (check: ShadowCheck): ShadowScenario => `shadow-${check}`;

interface Timings {
  database: number;
  fresh: number;
  idempotency: number | null;
  isolation: number | null;
}

/** The split of one run, summed over the setups verify checked; null when the output is not verify's JSON. */
function splitOf(text: string): Timings | null {
  let doc: { shadow?: { setups?: { timings?: Timings }[] } };
  try {
    doc = JSON.parse(text.slice(text.indexOf('{')));
  } catch {
    return null;
  }
  const setups = (doc.shadow?.setups ?? []).map((s) => s.timings).filter((t): t is Timings => t !== undefined);
  if (setups.length === 0) return null;
  const sum = (pick: (t: Timings) => number | null) => (setups.every((t) => pick(t) === null) ? null : setups.reduce((n, t) => n + (pick(t) ?? 0), 0));
  return { database: sum((t) => t.database)!, fresh: sum((t) => t.fresh)!, idempotency: sum((t) => t.idempotency), isolation: sum((t) => t.isolation) };
}

function medianSplit(splits: readonly Timings[]): ShadowSplit | null {
  if (splits.length === 0) return null;
  const of = (pick: (t: Timings) => number | null) => {
    const values = splits.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : median(values);
  };
  return { database: of((t) => t.database)!, fresh: of((t) => t.fresh)!, idempotency: of((t) => t.idempotency), isolation: of((t) => t.isolation) };
}

/** Runs the three checks `runs` times each on `corpus`, into `results.cells`. */
export async function shadowScenarios(tools: Toolbox, corpus: PreparedCorpus, runs: number, results: BenchResults, progress: (text: string) => void): Promise<void> {
  const logs = path.join(corpus.workDir, 'logs');
  await mkdir(logs, { recursive: true });
  const cells = new Map<ShadowCheck, Cell>();
  const splits = new Map<ShadowCheck, Timings[]>(SHADOW_CHECKS.map((c) => [c, []]));
  for (const check of SHADOW_CHECKS) {
    const cell: Cell = { corpus: corpus.name, files: corpus.files.length, scenario: scenarioOf(check), contender: 'ours', label: `verify --no-db --${check}`, command: null, wallMs: [], peakRssMb: [], exitCodes: [], counts: null, failure: null, notMeasured: null, shadow: null };
    cells.set(check, cell);
    results.cells.push(cell);
  }
  for (let r = 0; r < runs; r++) {
    for (const check of rotate(SHADOW_CHECKS, r)) {
      const cell = cells.get(check)!;
      if (cell.failure || cell.notMeasured) continue;
      const spec = oursShadow(tools, corpus, check);
      const log = path.join(logs, `shadow-${check}-${r}.log`);
      // A whole PostgreSQL per run, every file applied (twice with --idempotency): minutes on large under load.
      const run = await measure(spec, log, 1_800_000);
      const text = await readFile(log, 'utf8').catch(() => '');
      if (run.exitCode === 0 || run.exitCode === 1) {
        cell.command = displayCommand(spec);
        cell.wallMs.push(run.wallMs);
        if (run.peakRssMb !== null) cell.peakRssMb.push(run.peakRssMb);
        cell.exitCodes.push(run.exitCode);
        const split = splitOf(text);
        if (split) splits.get(check)!.push(split);
        continue;
      }
      const first = text.trim().split('\n')[0] ?? '';
      if (r === 0 && run.exitCode === 2) cell.notMeasured = `${first || 'exit 2'} (command: ${displayCommand(spec)})`;
      else {
        cell.failure = `run ${r + 1}: ${run.timedOut ? 'timed out' : `exit ${run.exitCode}`}`;
        results.failures.push(`[${corpus.name} / ${cell.scenario}] run ${r + 1} failed\n  command: ${displayCommand(spec)}\n${text.split('\n').slice(-20).join('\n').replace(/^/gm, '  | ')}`);
      }
    }
  }
  for (const check of SHADOW_CHECKS) {
    const cell = cells.get(check)!;
    cell.shadow = medianSplit(splits.get(check)!);
    if (cell.exitCodes.includes(1)) cell.label = `verify --no-db --${check} (exit 1: findings reported)`;
    const m = median(cell.wallMs);
    progress(`  ${corpus.name} ${cell.label}: ${m === null ? '—' : `${Math.round(m)} ms`}`);
  }
}
