// What a rehearsal reports. Types only, so the report's declarations (the package's
// public types) do not reach PGlite's.

/** What the rehearsal did (the `rehearsal` key of --json). */
export interface RehearsalSummary {
  database: string;
  /** Files replayed as applied. */
  replayed: number;
  /** Pending files, in the order migrate would run them. */
  pending: string[];
  /** Pending files the engine applied on the shadow before stopping (all of them when none failed). */
  applied: number;
  durationMs: number;
}
