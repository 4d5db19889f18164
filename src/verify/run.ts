// The verify operation: the static check of every file of the active setup (or
// of every setup, `all`), and, when a database is given, the live checks of the
// database against the files (read-only). Returns the report; prints nothing.
import path from 'node:path';
import { MigrateError } from '../core/errors.js';
import { openDatabase, type DatabaseTarget } from '../db/connect.js';
import { embeddedExists } from '../db/pglite.js';
import { discover, type DiscoverOptions, type Discovery } from '../discover/project.js';
import { discoverAll, setupLabel } from '../discover/all.js';
import { loadParser } from '../sql/statements.js';
import { verifyStatic, type SetupFiles } from './verify.js';
import { DATABASE_FILE, liveChecks } from './live.js';
import { snapshotCatalog } from './shadow/catalog.js';
import { describeDifference, driftOf } from './shadow/drift.js';
import { rehearsePending, type RehearsalSummary } from './shadow/pending.js';
import { RULE_SEVERITY, type SuppressedFinding } from './types.js';
import { applyDatabaseDirectives, type DatabaseFinding, type DirectiveIndex } from './suppress-db.js';
import { isolationAgainstDatabase, type IsolationDiffSummary } from './shadow/isolation-diff.js';
import { buildReport, type DatabaseSummary, type DriftSummary, type ShadowSummary, type VerifyReport } from './report.js';
import type { Corpus } from './corpus.js';
import { shadowSetups, type ShadowChecks } from './shadow/run.js';

export interface VerifyRunOptions {
  project: DiscoverOptions;
  /** Every theme and every plugin no theme lists, not only the active setup. */
  all: boolean;
  /** Warnings fail the report too. */
  strict: boolean;
  /** The database to check against the files, or why it is not checked. */
  target: DatabaseTarget | { skipped: string };
  /** Whether sample-data files count as pending (they are skipped in production). */
  sampleData: boolean;
  /** Checks on a shadow database (a new in-memory PGlite per setup), or null for none. */
  shadow?: ShadowChecks | null;
  /** Compare the live database's catalog with the shadow's (needs a database). */
  drift?: boolean;
  /** Rehearse the next migrate: replay what the database applied on a shadow, then the pending files. */
  pending?: boolean;
}

/** Which database the live checks read, or why they do not run. */
export function liveTarget(target: DatabaseTarget): DatabaseTarget | { skipped: string } {
  // The embedded default is the engine's fallback, not a database anyone configured.
  if (target.kind === 'pglite' && target.isDefault) return { skipped: 'no MIGRATE_DATABASE_URL, DIRECT_URL or DATABASE_URL' };
  if (target.kind === 'pglite' && target.dir && !embeddedExists(target.dir)) {
    // Opening it would create a database: verification never writes.
    throw new MigrateError('CONFIG', `${target.origin} points at ${target.dir}, which holds no embedded database`, {
      hint: 'Run the migrations first (npm run db:migrate), or fix the path.',
    });
  }
  return target;
}

async function runLive(target: DatabaseTarget, discovery: Discovery, corpus: Corpus, sampleData: boolean): Promise<{ summary: DatabaseSummary; findings: VerifyReport['findings'] }> {
  const db = await openDatabase(target);
  try {
    const result = await db.transaction((tx) => liveChecks(tx, { files: discovery.files, sources: discovery.sources, corpus, sampleData }));
    return { summary: { database: db.display, trackingProblem: result.trackingProblem, pending: result.pending }, findings: result.findings };
  } finally {
    await db.close();
  }
}

/** The database and active setup a check against the database needs, or a usage error naming the flag. */
function needsDatabase(target: DatabaseTarget | { skipped: string }, active: Discovery | null, flag: string): { target: DatabaseTarget; discovery: Discovery } {
  if ('skipped' in target) {
    throw new MigrateError('USAGE', `${flag} needs a database, and none is checked: ${target.skipped}`, { hint: 'Set DATABASE_URL (or MIGRATE_DATABASE_URL), or pass pglite:<dir>, and drop --no-db.' });
  }
  if (!active) throw new MigrateError('USAGE', `${flag} needs the active theme (set NEXT_PUBLIC_ACTIVE_THEME or pass --theme)`);
  return { target, discovery: active };
}

/** Runs the checks and returns the report (`ok` false on errors, or on warnings with `strict`). */
export async function verifyProject(options: VerifyRunOptions): Promise<VerifyReport> {
  const started = performance.now();
  const { project } = options;
  let active: Discovery | null = null;
  let setups: (SetupFiles & { theme: string | null })[];
  if (options.all) {
    setups = (await discoverAll(project.root, project.core)).map((s) => ({ label: s.label, files: s.files, orphanDownFiles: s.orphanDownFiles, theme: s.theme }));
    if (project.theme) active = await discover(project);
  } else {
    active = await discover(project);
    setups = [{ label: setupLabel(active.theme, active.plugins), files: active.files, orphanDownFiles: active.orphanDownFiles, theme: active.theme }];
  }

  const parser = await loadParser();
  const result = verifyStatic(parser, setups);
  const findings = [...result.findings];
  const suppressed: SuppressedFinding[] = [...result.suppressed];
  // The database checks' findings go through the authors' directives too; `ran` says whose unused ones to list.
  const ran = new Set<string>();
  const directed = (list: readonly DatabaseFinding[], corpus: Corpus | null) => {
    const index: DirectiveIndex = { parsed: result.parsed, directives: result.directives, corpus };
    const { kept, suppressed: silenced } = applyDatabaseDirectives(list, index);
    suppressed.push(...silenced);
    return kept;
  };

  let database: DatabaseSummary | null = null;
  let activeCorpus: Corpus | null = null;
  let databaseSkipped: string | null = 'skipped' in options.target ? options.target.skipped : null;
  if (!('skipped' in options.target)) {
    if (!active) {
      databaseSkipped = '--all without an active theme (set NEXT_PUBLIC_ACTIVE_THEME or pass --theme to compare the database)';
    } else {
      const label = setupLabel(active.theme, active.plugins);
      const corpus = result.corpora.get(label) ?? verifyStatic(parser, [{ label, files: active.files }]).corpora.get(label)!;
      activeCorpus = corpus;
      const live = await runLive(options.target, active, corpus, options.sampleData);
      database = live.summary;
      findings.push(...directed(live.findings, corpus));
      ran.add('db-rls').add('db-table');
    }
  }

  let shadow: ShadowSummary | null = null;
  if (options.shadow) {
    shadow = { setups: [] };
    // One shadow at a time: each is a whole PostgreSQL in memory.
    const seen = new Set<string>();
    ran.add('fresh');
    if (options.shadow.idempotency) ran.add('idempotency');
    if (options.shadow.isolation) ran.add('isolation').add('not-probed');
    for (const shadowResult of await shadowSetups(project, setups, options.shadow)) {
      const { findings: raw, snapshot: _snapshot, ...summary } = shadowResult;
      const shadowFindings = directed(raw, result.corpora.get(shadowResult.label) ?? null);
      // The isolation findings are listed with the others; the summary keeps the matrix.
      shadow.setups.push({ ...summary, isolation: summary.isolation ? { matrix: summary.isolation.matrix, notProbed: summary.isolation.notProbed } : null });
      for (const f of shadowFindings) {
        // A core file failing in every setup is one finding.
        const key = `${f.rule}\u0000${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(setups.length > 1 && f.rule === 'isolation' ? { ...f, message: `${f.message} (with ${shadowResult.label})` } : f);
      }
    }
  }

  let rehearsal: RehearsalSummary | null = null;
  let isolation: IsolationDiffSummary | null = null;
  // --isolation against a database with pending files: the matrix before them and after, on one rehearsal (--pending's too).
  const diffCorpus = options.shadow?.isolation && database?.pending.some((g) => g.files.length > 0) ? activeCorpus : null;
  const diffIsolation = diffCorpus !== null;
  if (options.pending || diffIsolation) {
    const { target, discovery } = needsDatabase(options.target, active, '--pending');
    const db = await openDatabase(target);
    try {
      if (diffIsolation) {
        const corpus = diffCorpus!;
        const diffed = await isolationAgainstDatabase(project, discovery, db, options.sampleData, parser, corpus);
        if (options.pending) rehearsal = diffed.rehearsal;
        findings.push(...diffed.findings);
        if (diffed.widenings) {
          isolation = { database: db.display, pending: diffed.rehearsal.pending, widened: [] };
          for (const { finding, widened } of diffed.widenings) {
            const kept = directed([finding], corpus);
            findings.push(...kept);
            if (kept.length > 0) isolation.widened.push(widened);
          }
        }
      } else {
        const rehearsed = await rehearsePending(project, discovery, db, options.sampleData);
        rehearsal = rehearsed.summary;
        findings.push(...rehearsed.findings);
      }
    } finally {
      await db.close();
    }
  }

  let drift: DriftSummary | null = null;
  if (options.drift) {
    const { target, discovery } = needsDatabase(options.target, active, '--drift');
    const label = setupLabel(discovery.theme, discovery.plugins);
    const [result] = await shadowSetups(project, [{ label, files: discovery.files, theme: discovery.theme }], { fresh: true, idempotency: false, isolation: false, snapshot: true });
    if (result?.snapshot) {
      const shadowSnapshot = result.snapshot;
      const db = await openDatabase(target);
      let live;
      try {
        live = await db.transaction(async (tx) => {
          await tx.exec('SET TRANSACTION READ ONLY');
          return snapshotCatalog(tx, { rows: false });
        });
      } finally {
        await db.close();
      }
      const differences = driftOf(shadowSnapshot, live);
      drift = { database: db.display, differences };
      for (const d of differences) {
        findings.push({ rule: 'drift', severity: RULE_SEVERITY.drift, file: DATABASE_FILE, line: 0, column: 0, message: describeDifference(d), fix: d.expected === null ? 'Made by hand, or by a migration no longer in the files: add it to a migration, or drop it.' : 'Changed or dropped by hand, or a migration is pending: run migrate, or restore it in a new migration.' });
      }
    } else {
      findings.push(...directed(result?.findings ?? [], activeCorpus));
    }
  }

  return buildReport(
    {
      findings,
      shadow,
      drift,
      rehearsal,
      setups: setups.map((s) => s.label),
      checked: result.files.length,
      database,
      databaseSkipped,
      isolation,
      // A core file's finding silenced in every setup is listed once.
      suppressed: [...new Map(suppressed.map((f) => [`${f.rule}\u0000${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.message}`, f])).values()],
      unusedDirectives: [...result.unusedDirectives, ...[...result.directives.values()].flatMap((d) => d.all.filter((x) => !x.used && ran.has(x.rule)))],
      durationMs: performance.now() - started,
    },
    options.strict,
  );
}
