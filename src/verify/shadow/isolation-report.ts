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

/** An isolation or not-probed finding, with the table (or view) it is about: directives on that table's access statements silence it. */
export interface TableFinding extends Finding {
  table: string;
}

/** How far one role reaches with one command on one table; compared before and after the pending files. */
export interface AccessCell {
  table: string;
  /** As in the matrix: `user A`, `no user`, `anon`. */
  role: string;
  command: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  /** 0 denied; 1 allowed, on the role's own rows only (or on none); 2 on rows of other users (for anon: private rows). */
  reach: 0 | 1 | 2;
  /** The matrix cell, as printed. */
  shown: string;
}

export interface IsolationReport {
  findings: TableFinding[];
  matrix: IsolationRow[];
  /** Each probed cell of the matrix, as a reach (what the diff against the database compares). */
  access: AccessCell[];
  /** Owned tables the probe could not fill, with why. */
  notProbed: { table: string; reason: string }[];
}

/** One access a pending file widens (the `isolation.widened` entries of --json). Persisted format: never rename a field. */
export interface Widened {
  table: string;
  /** `authenticated`, `authenticated without a user id`, `anon`. */
  role: string;
  command: AccessCell['command'];
  /** The matrix cells before and after the pending files. */
  before: string;
  after: string;
  /** The pending file it is attributed to. */
  file: string;
  /** In plain words: "anon can now SELECT tasks". */
  message: string;
}

/** What the diff did (the `isolation` key of --json). */
export interface IsolationDiffSummary {
  database: string;
  /** Pending files, in the order migrate would run them. */
  pending: string[];
  /** Widenings that stand (those silenced by a directive are listed with the suppressed findings). */
  widened: Widened[];
}
