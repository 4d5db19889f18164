// What the isolation probe reports: the matrix and its findings. Types only, so the
// report's declarations (the package's public types) do not reach PGlite's.
import type { Finding } from '../types.js';

/** One line of the matrix: a table, as one role, per command. */
export interface IsolationRow {
  table: string;
  /** `user A` (authenticated, app.user_id = A), `no user` (authenticated, unset), `anon`. */
  role: string;
  select: string;
  insert: string;
  update: string;
  delete: string;
}

export interface IsolationReport {
  findings: Finding[];
  matrix: IsolationRow[];
  /** Owned tables the probe could not fill, with why. */
  notProbed: { table: string; reason: string }[];
}

