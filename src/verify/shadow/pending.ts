// --pending: a rehearsal of the next `migrate` on a shadow. The files the live
// database has applied (its tracking rows, read-only) are replayed on a new
// in-memory PGlite with their tracking rows, in one transaction each, exactly as
// the engine writes them; then the engine itself applies what is pending, in the
// order it would on the database. A failure is found before the database sees it.
import type { Database } from '../../db/driver.js';
import type { Discovery } from '../../discover/project.js';
import type { DiscoverOptions } from '../../discover/project.js';
import { buildPlan } from '../../core/plan.js';
import { stripBom } from '../../core/text.js';
import { DatabaseError } from '../../core/errors.js';
import { ensureTrackingSchema, readTracking, recordAppliedSql } from '../../tracking/store.js';
import { allEntityOrigins } from '../../discover/entity-origins.js';
import { runResolved } from '../../api/migrate.js';
import { targetOfClient } from '../../db/connect.js';
import { wrapPglite } from '../../db/pglite.js';
import { locateFailure } from '../../run/locate-failure.js';
import type { Finding } from '../types.js';
import { RULE_SEVERITY } from '../types.js';
import { newShadowInstance } from './instance.js';
import type { PGlite } from '@electric-sql/pglite';
import { findingOfRunError } from './run.js';
import type { RehearsalSummary } from './rehearsal-report.js';

export type { RehearsalSummary } from './rehearsal-report.js';

/** Looks at the shadow at the two moments of a rehearsal (the isolation diff probes both). */
export interface RehearsalHooks {
  /** The shadow as the database is: its applied files replayed, nothing pending yet. */
  afterReplay(instance: PGlite): Promise<void>;
  /** After every pending file applied (not called when one failed). */
  afterPending(instance: PGlite): Promise<void>;
}

/** Replays what `live` has applied on a shadow, then applies the pending files through the engine. */
export async function rehearsePending(
  project: DiscoverOptions,
  active: Discovery,
  live: Database,
  sampleData: boolean,
  hooks?: RehearsalHooks,
): Promise<{ summary: RehearsalSummary; findings: Finding[] }> {
  const started = performance.now();
  const tracking = await live.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION READ ONLY');
    return readTracking(tx);
  });
  const plan = buildPlan(active.files, active.sources, tracking.ready ? tracking.rows : [], { sampleData, strictOrder: false, allowMissing: true });
  const replay = plan.items.filter((i) => i.state === 'applied' || i.state === 'modified').map((i) => i.file);
  const pending = plan.items.filter((i) => i.state === 'pending').map((i) => i.file.path);
  const findings: Finding[] = [];
  const summary: RehearsalSummary = { database: live.display, replayed: 0, pending, applied: 0, durationMs: 0 };
  const instance = await newShadowInstance();
  try {
    const shadow = wrapPglite(instance, { display: 'shadow', close: async () => {} });
    const { schema } = await shadow.transaction((tx) => ensureTrackingSchema(tx, allEntityOrigins(project.root)));
    for (const file of replay) {
      const text = stripBom(file.content);
      try {
        await shadow.transaction((tx) => tx.exec(`${text}\n;\n${recordAppliedSql(schema, file)}`));
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        const at = await locateFailure(text, error).catch(() => null);
        findings.push({
          rule: 'pending',
          severity: RULE_SEVERITY.pending,
          file: file.path,
          line: at?.line ?? 0,
          column: at?.column ?? 0,
          message: `applied on the database, but does not replay on a new one: ${error.pg.message}`,
          fix: 'The file changed since it was applied, or depends on something made by hand: restore it, and put changes in a new migration.',
        });
        return { summary: { ...summary, durationMs: performance.now() - started }, findings };
      }
      summary.replayed++;
    }
    await hooks?.afterReplay(instance);
    const result = await runResolved(
      'migrate',
      { project: { ...project, theme: active.theme, themeOrigin: 'verify' }, target: targetOfClient(instance, 'the shadow database'), env: {}, envFilesLoaded: [], secrets: [] },
      { sampleData, allowMissing: true },
    );
    summary.applied = result.migrations.filter((m) => m.status === 'applied').length;
    if (!result.ok && result.error) {
      findings.push(
        findingOfRunError('pending', result.error, 'pending, and fails after what the database has applied', 'Fix it before running migrate on the database: there, this file would roll back and stop the run.'),
      );
    } else {
      await hooks?.afterPending(instance);
    }
  } finally {
    await instance.close();
  }
  summary.durationMs = performance.now() - started;
  return { summary, findings };
}
