// The production marker as library functions: whether a database is marked as
// production, and marking or unmarking it. The marker lives in the database
// (SETTINGS_TABLE), so that no shell without NODE_ENV=production can apply
// sample data to it. Nothing is printed.
import { openDatabase } from '../db/connect.js';
import { MigrateError } from '../core/errors.js';
import { PRODUCTION_SETTING, SETTINGS_TABLE } from '../core/tracking.js';
import { allEntityOrigins } from '../discover/entity-origins.js';
import { ensureTrackingSchema, readServerFacts, readTracking, tableRef } from '../tracking/store.js';
import { preflightError } from '../tracking/preflight.js';
import { removeSetting, setSetting } from '../tracking/settings.js';
import type { ResolvedConfig } from './config.js';

export interface ProductionState {
  /** Where, password redacted. */
  database: string;
  production: boolean;
  /** When and by whom the marker was set (null when not marked). */
  setAt: string | null;
  setBy: string | null;
}

export interface ProductionChange extends ProductionState {
  /** Whether this call changed the database (false: it already was as asked). */
  changed: boolean;
  /** What it changed, in words (empty when nothing). */
  changes: string[];
}

/** Reads the marker; changes nothing. */
export async function readProductionMarker(config: ResolvedConfig): Promise<ProductionState> {
  const db = await openDatabase(config.target);
  try {
    const state = await readTracking(db);
    if (!state.ready) return { database: db.display, production: false, setAt: null, setBy: null };
    const rows = await db.query<{ set_at: string; set_by: string }>(`SELECT set_at::text AS set_at, set_by FROM ${tableRef(state.schema, SETTINGS_TABLE)} WHERE key = $1`, [PRODUCTION_SETTING]);
    const production = state.settings.get(PRODUCTION_SETTING) === 'true';
    return { database: db.display, production, setAt: production ? (rows[0]?.set_at ?? null) : null, setBy: production ? (rows[0]?.set_by ?? null) : null };
  } finally {
    await db.close();
  }
}

/**
 * Marks the database as production (`production: true`) or removes the marker.
 * Creates the tracking tables when there are none yet (the marker lives beside
 * them). Under the migration lock; refused on a standby or a read-only database.
 */
export async function setProductionMarker(config: ResolvedConfig, production: boolean, by: string): Promise<ProductionChange> {
  const db = await openDatabase(config.target);
  try {
    const facts = await readServerFacts(db);
    const refused = preflightError(facts, { writes: true, createsTracking: false, pending: false, database: db.display });
    if (refused) throw refused;
    const before = await readTracking(db);
    const changes: string[] = [];
    let changed = false;
    await db.transaction(
      async (tx) => {
        const ensured = await ensureTrackingSchema(tx, allEntityOrigins(config.project.root));
        if (!before.ready && ensured.notes.length === 0) changes.push(`created the tracking tables in schema ${ensured.schema} (no migration was run)`);
        changes.push(...ensured.notes);
        changed = production
          ? await setSetting(tx, ensured.schema, PRODUCTION_SETTING, 'true', by)
          : await removeSetting(tx, ensured.schema, PRODUCTION_SETTING);
        if (changed) {
          changes.push(
            production
              ? `marked ${db.display} as a production database (${ensured.schema}.${SETTINGS_TABLE}: ${PRODUCTION_SETTING} = true)`
              : `removed the production marker of ${db.display} (${ensured.schema}.${SETTINGS_TABLE}: ${PRODUCTION_SETTING})`,
          );
        }
      },
      { lock: 'exclusive' },
    );
    const state = await readTracking(db);
    if (!state.ready) throw new MigrateError('DATABASE', `the tracking tables could not be read after the change: ${state.reason}`);
    const marked = state.settings.get(PRODUCTION_SETTING) === 'true';
    return { database: db.display, production: marked, setAt: null, setBy: null, changed, changes };
  } finally {
    await db.close();
  }
}

/**
 * Refuses to go on with a destructive command on a database marked as production
 * (whatever NODE_ENV says in the shell that runs it). Servers only: opening an
 * embedded database just to read the marker would race its folder lock.
 */
export async function refuseProductionDatabase(config: ResolvedConfig, what: string): Promise<void> {
  if (config.target.kind !== 'postgres') return;
  const state = await readProductionMarker(config);
  if (state.production) {
    throw new MigrateError('CONFIG', `refusing to ${what}: ${state.database} is marked as a production database (since ${state.setAt?.slice(0, 19) ?? '?'}, by ${state.setBy ?? '?'})`, {
      hint: 'If it really is not one: tiered-migrate production --unmark, then run this again.',
    });
  }
}
