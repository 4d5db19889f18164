// The shadow checks of one setup, on one new in-memory PGlite: --fresh applies
// every active migration through the engine itself (sample data included);
// --idempotency runs each file a second time right after the engine applied it;
// --isolation probes the finished schema as the app's roles. One database per
// setup, created here and closed here.
import type { DiscoverOptions } from '../../discover/project.js';
import { runResolved } from '../../api/migrate.js';
import { targetOfClient } from '../../db/connect.js';
import { wrapPglite } from '../../db/pglite.js';
import type { Finding } from '../types.js';
import { RULE_SEVERITY } from '../types.js';
import type { PGlite } from '@electric-sql/pglite';
import type { MigrationFile } from '../../core/types.js';
import { loadParser } from '../../sql/statements.js';
import { parseMigration, type Parser } from '../parse.js';
import { createdRelations } from '../rules/created.js';
import { DATABASE_FILE } from '../live.js';
import { newShadowInstance } from './instance.js';
import { hookedInstance } from './hooked.js';
import { secondRun } from './rerun.js';
import { snapshotCatalog, type CatalogSnapshot } from './catalog.js';
import { probeIsolation, type Locate } from './isolation.js';
import type { IsolationReport } from './isolation-report.js';
import type { ErrorReport } from '../../run/events.js';

/**
 * A finding for the error a shadow run stopped at: `what` leads the message (then
 * SQLSTATE and PostgreSQL's message, and its detail when `detail`), `then` ends the fix.
 */
export function findingOfRunError(rule: 'fresh' | 'pending', e: ErrorReport, what: string, then: string, detail = false): Finding {
  return {
    rule,
    severity: RULE_SEVERITY[rule],
    file: e.file ?? '(shadow)',
    line: e.line ?? 0,
    column: e.column ?? 0,
    message: `${what}${e.sqlstate ? ` (SQLSTATE ${e.sqlstate})` : ''}: ${e.message}${detail && e.detail ? ` — ${e.detail}` : ''}`,
    fix: `${e.fix ? `${e.fix} ` : ''}${e.hint ? `${e.hint} ` : ''}${then}`,
  };
}

export interface ShadowChecks {
  fresh: boolean;
  idempotency: boolean;
  isolation: boolean;
  /** Keep the finished shadow's catalog (for --drift). */
  snapshot?: boolean;
}

/** Milliseconds spent per check (`database`: creating the shadow). */
export interface ShadowTimings {
  database: number;
  fresh: number;
  idempotency: number | null;
  isolation: number | null;
}

export interface ShadowSetupResult {
  label: string;
  /** Files the engine applied on the shadow. */
  applied: number;
  /** Why this setup had no shadow (a plugin no theme lists cannot run on its own), or null. */
  skipped: string | null;
  findings: Finding[];
  timings: ShadowTimings;
  isolation: IsolationReport | null;
  /** The finished shadow's catalog, without row counts, when asked for. */
  snapshot?: CatalogSnapshot | null;
}

export interface ShadowSetup {
  label: string;
  /** In execution order (to say which file creates a table a finding is about). */
  files: readonly MigrationFile[];
  /** Null for a plugin no theme lists: the engine cannot run it alone. */
  theme: string | null;
}

/**
 * Runs the checks of each setup, one after the other, each on a new in-memory
 * PGlite: the first one is created, the others are clones of it taken while it is
 * still empty (a clone costs about half a new database).
 */
export async function shadowSetups(project: DiscoverOptions, setups: readonly ShadowSetup[], checks: ShadowChecks): Promise<ShadowSetupResult[]> {
  const runnable = setups.filter((s) => s.theme !== null);
  let pristine: PGlite | null = null;
  const results: ShadowSetupResult[] = [];
  try {
    for (const setup of setups) {
      const timings: ShadowTimings = { database: 0, fresh: 0, idempotency: checks.idempotency ? 0 : null, isolation: checks.isolation ? 0 : null };
      if (setup.theme === null) {
        results.push({ label: setup.label, applied: 0, skipped: 'no theme lists it: the engine runs a theme with its plugins', findings: [], timings, isolation: null });
        continue;
      }
      const started = performance.now();
      const last = setup === runnable[runnable.length - 1];
      let instance: PGlite;
      if (!pristine) pristine = await newShadowInstance();
      if (last) {
        instance = pristine;
        pristine = null;
      } else {
        instance = (await pristine.clone()) as PGlite;
      }
      timings.database = performance.now() - started;
      try {
        results.push(await shadowSetup(project, setup, setup.theme, checks, instance, timings));
      } finally {
        await instance.close();
      }
    }
  } finally {
    await pristine?.close();
  }
  return results;
}

/** Runs the requested checks of one setup on `instance`, a new database. */
async function shadowSetup(project: DiscoverOptions, setup: ShadowSetup, theme: string, checks: ShadowChecks, instance: PGlite, timings: ShadowTimings): Promise<ShadowSetupResult> {
  const { label, files } = setup;
  const database = wrapPglite(instance, { display: 'shadow', close: async () => {} });
  const findings: Finding[] = [];
  // A failure of our own check must not pass for the engine's: kept, and thrown after the run.
  let checkError: unknown = null;
  {
    const hooked = hookedInstance(instance, async (item) => {
      if (!checks.idempotency || checkError) return;
      const t0 = performance.now();
      try {
        const finding = await secondRun(database, item.file);
        if (finding) findings.push(finding);
      } catch (error) {
        checkError = error;
      }
      timings.idempotency = (timings.idempotency ?? 0) + performance.now() - t0;
    });
    const started = performance.now();
    // The engine itself, on an instance we own: the same path as migrate({ database: <PGlite> }).
    const result = await runResolved(
      'migrate',
      { project: { ...project, theme, themeOrigin: 'verify' }, target: targetOfClient(hooked.client, 'the shadow database'), env: {}, envFilesLoaded: [], secrets: [] },
      { sampleData: true, onEvent: (event) => hooked.onEvent(event) },
    );
    if (checkError) throw checkError;
    timings.fresh = performance.now() - started - (timings.idempotency ?? 0);
    const applied = result.migrations.filter((m) => m.status === 'applied').length;
    if (!result.ok && result.error) {
      const e = result.error;
      findings.push(
        findingOfRunError('fresh', e, 'fails on a fresh database', `On a new database the run stops here: the files after it were not applied${checks.isolation ? ', and isolation was not probed' : ''}.`, true),
      );
      return { label, applied, skipped: null, findings, timings, isolation: null };
    }
    let isolation: IsolationReport | null = null;
    if (checks.isolation) {
      const t0 = performance.now();
      const parser = await loadParser();
      isolation = await probeIsolation(instance, parser, locator(parser, files));
      findings.push(...isolation.findings);
      timings.isolation = performance.now() - t0;
    }
    const snapshot = checks.snapshot ? await snapshotCatalog(database, { rows: false }) : null;
    return { label, applied, skipped: null, findings, timings, isolation, snapshot };
  }
}

/** Which file creates a table (its first CREATE in the run), for findings about the table. */
function locator(parser: Parser, files: readonly MigrationFile[]): Locate {
  const at = new Map<string, { file: string; line: number; column: number }>();
  for (const file of files) {
    for (const { name, stmt } of createdRelations(parseMigration(parser, file))) {
      if (name.schema === 'public' && !at.has(name.name)) at.set(name.name, { file: file.path, line: stmt.position.line, column: stmt.position.column });
    }
  }
  return (table) => at.get(table) ?? { file: DATABASE_FILE, line: 0, column: 0 };
}
