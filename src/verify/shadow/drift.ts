// --drift: the live database's catalog against the shadow's (what the files
// build), both read with the same pg_get_*def queries so that formatting is
// PostgreSQL's on each side. Roles (cluster-wide) and row counts are left out.
// Pure once the two snapshots are read.
import type { CatalogSnapshot } from './catalog.js';

/** One difference; `expected` is the shadow's definition, `actual` the database's (null: absent). Persisted in --json. */
export interface Difference {
  kind: string;
  /** Without the `public.` schema: `tasks.archived`, `idx_tasks_user_id`. */
  object: string;
  /** The table it belongs to, when it belongs to one. */
  table: string | null;
  expected: string | null;
  actual: string | null;
}

const IGNORED = new Set(['rows', 'role']);
const ON_TABLE = new Set(['column', 'constraint', 'policy', 'trigger']);

/** Differences between what the files build (`shadow`) and the database (`live`), sorted. */
export function driftOf(shadow: CatalogSnapshot, live: CatalogSnapshot): Difference[] {
  const out: Difference[] = [];
  const keys = new Set([...shadow.keys(), ...live.keys()]);
  for (const key of [...keys].sort()) {
    const space = key.indexOf(' ');
    const kind = key.slice(0, space);
    if (IGNORED.has(kind)) continue;
    const expected = shadow.get(key) ?? null;
    const actual = live.get(key) ?? null;
    if (expected === actual) continue;
    const object = key.slice(space + 1).replace(/^public\./, '');
    const table = ON_TABLE.has(kind) ? object.split('.').slice(0, -1).join('.') : kind === 'relation' || kind === 'view' ? object : null;
    out.push({ kind, object, table, expected, actual });
  }
  return out;
}

/** `+ column tasks.archived boolean` (only in the database), `- …` (only in the files), `~ … expected → actual`. */
export function describeDifference(d: Difference): string {
  if (d.expected === null) return `+ ${d.kind} ${d.object} ${d.actual ?? ''}`.trimEnd();
  if (d.actual === null) return `- ${d.kind} ${d.object} ${d.expected}`.trimEnd();
  return `~ ${d.kind} ${d.object}: ${d.expected} → ${d.actual}`;
}
