// Live checks: the database compared with the files, read-only. Applied files
// changed or gone (the engine's checksums), what is pending per tier, public
// tables with RLS off or without a policy, and tables the applied migrations
// create that do not exist. Everything runs in one READ ONLY transaction: the
// database is never written, not even the tracking tables.
import type { Queryable } from '../db/driver.js';
import type { MigrationFile, Source, TrackedRow } from '../core/types.js';
import { planWithTokens } from '../sql/token-checksum.js';
import { OWN_TABLE_NAMES, describeRow, rowFolderKey, sourceFolderKey } from '../core/tracking.js';
import { readTracking } from '../tracking/store.js';
import type { Corpus } from './corpus.js';
import type { Finding } from './types.js';
import { RULE_SEVERITY } from './types.js';
import { display } from './ast.js';
import { openRelationsSql, type OpenRelation } from '../tracking/lockdown.js';

/**
 * Tracking tables (and their sequences) another role or PUBLIC may use, or without
 * RLS: whoever can write them decides what runs (on Supabase, anon and
 * authenticated reach `public` through the API).
 */
function openTrackingFindings(relations: readonly OpenRelation[]): Finding[] {
  const findings: Finding[] = [];
  for (const r of relations) {
    const what = r.kind === 'S' ? 'sequence' : 'tracking table';
    const problems = [...(r.grantees.length > 0 ? [`privileges held by ${r.grantees.join(', ')}`] : []), ...(r.kind === 'r' && !r.rls ? ['row level security disabled'] : [])];
    if (problems.length === 0) continue;
    const fixes = [
      ...(r.grantees.length > 0 ? [`REVOKE ALL ON ${r.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${r.rel} FROM ${r.grantees.join(', ')};`] : []),
      ...(r.kind === 'r' && !r.rls ? [`ALTER TABLE ${r.rel} ENABLE ROW LEVEL SECURITY;`] : []),
    ];
    findings.push({
      rule: 'db-tracking-open',
      severity: RULE_SEVERITY['db-tracking-open'],
      file: DATABASE_FILE,
      line: 0,
      column: 0,
      message: `${what} ${r.rel} is open: ${problems.join(', ')}; a role that can write it decides which migrations run`,
      fix: `Run migrate as the owner (it locks the tracking tables down), or: ${fixes.join(' ')}`,
    });
  }
  return findings;
}

/** Tables of the engine itself (and of the tools before it): not application data. */

/** The file a live finding is about when it is about no file. */
export const DATABASE_FILE = '(database)';

export interface PendingGroup {
  /** `core`, `theme default`, `plugin billing`, `entity tasks (theme default)`… */
  source: string;
  files: string[];
}

export interface LiveResult {
  /** Why the tracking tables could not be read (they do not exist yet, or need the engine's upgrade); null when read. */
  trackingProblem: string | null;
  pending: PendingGroup[];
  findings: Finding[];
}

export interface LiveInput {
  files: readonly MigrationFile[];
  sources: readonly Source[];
  corpus: Corpus;
  /** Whether sample-data files would run (they are not pending otherwise). */
  sampleData: boolean;
}

interface TableRow {
  schema: string;
  name: string;
  rls: boolean;
  policies: number;
}

const TABLES = `
SELECT n.nspname AS schema, c.relname AS name, c.relrowsecurity AS rls,
       (SELECT count(*)::int FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid) AS policies
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

function sourceLabel(source: Source): string {
  if (source.tier === 'core') return 'core';
  if (source.tier === 'entity') return `entity ${source.entity} (${source.sourceType} ${source.sourceName})`;
  return `${source.tier} ${source.sourceName}`;
}

/** Where a tracked file would be, when its source is still active. */
function pathOfRow(row: TrackedRow, sources: readonly Source[]): string {
  const folder = rowFolderKey(row.table, row);
  const source = sources.find((s) => s.table === row.table && sourceFolderKey(s) === folder);
  return source ? `${source.dir}/${row.filename}` : describeRow(row);
}

/** Runs the live checks on an open database (inside a transaction of the caller's). */
export async function liveChecks(tx: Queryable, input: LiveInput): Promise<LiveResult> {
  // Belt and braces: PostgreSQL itself refuses any write from here on.
  await tx.exec('SET TRANSACTION READ ONLY');
  const findings: Finding[] = [];
  // A missing tracking table is an error inside the transaction: a savepoint keeps the rest usable.
  await tx.exec('SAVEPOINT verify_tracking');
  let tracking = await readTracking(tx);
  await tx.exec(tracking.ready ? 'RELEASE SAVEPOINT verify_tracking' : 'ROLLBACK TO SAVEPOINT verify_tracking');
  if (!tracking.ready) {
    // Tables made before the settings table existed are read as they are.
    await tx.exec('SAVEPOINT verify_tracking');
    const older = await readTracking(tx, null, { settings: false });
    await tx.exec(older.ready ? 'RELEASE SAVEPOINT verify_tracking' : 'ROLLBACK TO SAVEPOINT verify_tracking');
    if (older.ready) tracking = older;
  }
  const rows = tracking.ready ? tracking.rows : [];
  // Token checksums too, so a comment-only edit is no "modified" here either (as for migrate).
  const plan = await planWithTokens(input.files, input.sources, rows, { sampleData: input.sampleData, strictOrder: false, allowMissing: false }, false);

  const applied = new Set<string>();
  const pendingBySource = new Map<string, string[]>();
  for (const item of plan.items) {
    if (item.state === 'applied' || item.state === 'modified') applied.add(item.file.path);
    if (item.state === 'modified') {
      findings.push({
        rule: 'modified',
        severity: RULE_SEVERITY.modified,
        file: item.file.path,
        line: 1,
        column: 1,
        message: `${item.file.filename} was changed after it was applied (the recorded checksum differs)`,
        fix: 'Restore the applied version (git checkout) and put the change in a new migration.',
      });
    }
    if (item.state === 'pending') {
      const label = sourceLabel(item.file.source);
      pendingBySource.set(label, [...(pendingBySource.get(label) ?? []), item.file.filename]);
    }
  }
  for (const row of plan.missing) {
    findings.push({
      rule: 'missing',
      severity: RULE_SEVERITY.missing,
      file: pathOfRow(row, input.sources),
      line: 0,
      column: 0,
      message: `${row.filename} was applied but is missing from disk`,
      fix: 'Restore the file from version control: applied migrations are never deleted.',
    });
  }

  const tables = await tx.query<TableRow>(TABLES);
  const existing = new Set(tables.map((t) => `${t.schema}.${t.name}`));
  const createdAt = (schema: string, name: string) => {
    const table = input.corpus.tables.get(`${schema}.${name}`);
    const created = table?.created;
    return created ? { file: created.file.file.path, line: created.position.line, column: created.position.column } : { file: DATABASE_FILE, line: 0, column: 0 };
  };
  for (const t of tables) {
    if (t.schema !== 'public' || OWN_TABLE_NAMES.has(t.name)) continue;
    const shown = display({ schema: t.schema, name: t.name });
    if (!t.rls) {
      findings.push({
        rule: 'db-rls',
        severity: RULE_SEVERITY['db-rls'],
        ...createdAt(t.schema, t.name),
        message: `table ${shown} has row level security disabled in the database`,
        fix: `Enable it in a new migration (ALTER TABLE ${shown} ENABLE ROW LEVEL SECURITY;) with its policies; if a migration already enables it, someone disabled it by hand.`,
      });
    } else if (t.policies === 0) {
      findings.push({
        rule: 'db-rls',
        severity: RULE_SEVERITY['db-rls'],
        ...createdAt(t.schema, t.name),
        message: `table ${shown} has row level security enabled but no policy in the database: only its owner sees rows`,
        fix: 'Create its policies in a new migration; if a migration already creates them, they were dropped by hand.',
      });
    }
  }
  if (tracking.ready) findings.push(...openTrackingFindings(await tx.query<OpenRelation>(openRelationsSql(tracking.schema, { anyOwner: true }))));
  for (const table of input.corpus.tables.values()) {
    const created = table.created;
    if (!created || !applied.has(created.file.file.path)) continue;
    if (existing.has(`${table.name.schema}.${table.name.name}`)) continue;
    findings.push({
      rule: 'db-table',
      severity: RULE_SEVERITY['db-table'],
      file: created.file.file.path,
      line: created.position.line,
      column: created.position.column,
      message: `table ${display(table.name)} is created by an applied migration but does not exist in the database`,
      fix: 'Someone dropped it by hand: restore it from a backup, or recreate it in a new migration.',
    });
  }
  return {
    trackingProblem: tracking.ready ? null : tracking.reason,
    pending: [...pendingBySource].map(([source, files]) => ({ source, files })),
    findings,
  };
}
