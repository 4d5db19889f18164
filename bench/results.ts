// The shape of a benchmark's results, as kept in memory and written to
// bench/results/<date>.json, and the summaries every table is made from.
import type { ContenderId } from './contenders.js';
import type { ImportTime, LoadReport } from './loads.js';
import type { MachineInfo } from './machine.js';
import type { ProfileSummary } from './profile.js';
import type { QueryCounts } from './proxy.js';
import { max, median, ratio } from './stats.js';
import type { CorpusName } from './workspace.js';

export type Scenario = 'fresh' | 'noop' | 'status' | 'verify' | 'embedded-fresh' | 'embedded-noop' | ShadowScenario;

/** `verify --no-db` with one check on a shadow (a new in-memory PGlite). */
export type ShadowScenario = 'shadow-fresh' | 'shadow-idempotency' | 'shadow-isolation';

/** Where a shadow check's time went, as verify --json reports it (medians over runs, summed over setups). */
export interface ShadowSplit {
  /** Creating the in-memory PGlite. */
  database: number;
  /** Applying the files through the engine. */
  fresh: number;
  /** Second runs of each file (--idempotency). */
  idempotency: number | null;
  /** Probing (--isolation). */
  isolation: number | null;
}

/** One contender in one scenario on one corpus: every timed run, and one counted run. */
export interface Cell {
  corpus: CorpusName;
  files: number;
  scenario: Scenario;
  contender: ContenderId;
  label: string;
  /** The command of the last run, ready to paste (database names are per run). */
  command: string | null;
  wallMs: number[];
  peakRssMb: number[];
  exitCodes: number[];
  /** From the counting proxy run (server scenarios only). */
  counts: QueryCounts | null;
  /** Why this cell has no numbers although it should (a harness or contender failure). */
  failure: string | null;
  /** Why this cell was deliberately not measured (e.g. a command that does not exist yet). */
  notMeasured: string | null;
  /** Shadow scenarios: the split verify reports itself. */
  shadow?: ShadowSplit | null;
}

export interface Summary {
  cell: Cell;
  medianMs: number | null;
  /** Fastest run: on a shared machine, the run least disturbed by others. */
  bestMs: number | null;
  /** Median divided by the floor's median in the same corpus and scenario. */
  ratioToFloor: number | null;
  /**
   * Median over runs of (this run / the floor's run of the same round). Rounds are
   * seconds apart, so a slow drift in the machine's load cancels out here.
   */
  pairedRatio: number | null;
  peakRssMb: number | null;
}

export interface BenchResults {
  date: string;
  startedAt: string;
  durationS: number;
  mode: 'full' | 'quick' | 'smoke' | 'custom';
  runs: number;
  seed: number;
  machine: MachineInfo;
  corpora: Record<string, { files: number; note: string }>;
  cells: Cell[];
  loads: Record<string, LoadReport | { error: string }>;
  importTimes: ImportTime[];
  profiles: Record<string, ProfileSummary | { error: string }>;
  failures: string[];
}

export function summarise(cells: readonly Cell[]): Summary[] {
  const floorOf = (c: Cell) => cells.find((f) => f.contender === 'floor' && f.corpus === c.corpus && f.scenario === c.scenario);
  return cells.map((cell) => {
    const medianMs = median(cell.wallMs);
    const floor = floorOf(cell);
    return {
      cell,
      medianMs,
      bestMs: cell.wallMs.length > 0 ? Math.min(...cell.wallMs) : null,
      ratioToFloor: floor ? ratio(medianMs, median(floor.wallMs)) : null,
      pairedRatio:
        floor && floor.wallMs.length === cell.wallMs.length && cell.wallMs.length > 0
          ? median(cell.wallMs.map((w, r) => w / floor.wallMs[r]!))
          : null,
      peakRssMb: max(cell.peakRssMb),
    };
  });
}
