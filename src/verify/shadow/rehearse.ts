// `migrate --rehearse`: before a run touches the database, the same run on a
// shadow (the database's applied files replayed, then the pending ones through
// the engine). The run goes ahead only when the rehearsal applied everything.
import type { ResolvedConfig } from '../../api/config.js';
import { openDatabase } from '../../db/connect.js';
import { discover } from '../../discover/project.js';
import type { Finding } from '../types.js';
import { rehearsePending, type RehearsalSummary } from './pending.js';

/** Rehearses the next migrate of `config`'s project and database; `ok` false when a file failed on the shadow. */
export async function rehearse(config: ResolvedConfig, sampleData: boolean): Promise<{ ok: boolean; findings: Finding[]; summary: RehearsalSummary }> {
  const discovery = await discover(config.project);
  const db = await openDatabase(config.target);
  try {
    const { summary, findings } = await rehearsePending(config.project, discovery, db, sampleData);
    return { ok: findings.length === 0, findings, summary };
  } finally {
    await db.close();
  }
}
