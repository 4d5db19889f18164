// The three tracking tables as data: the only place that knows how a file, its
// source and its tracking row map onto each other. Everything else (the plan,
// the store, live checks, results, reporters) asks these descriptors.
// Table names, column names and key columns are a persisted format shared with
// databases migrated by earlier tools: never change them.
import type { MigrationFile, Source, TrackedRow, TrackingTable } from './types.js';

/** What identifies a tracking row besides its table; a Source plus a filename, or a row. */
export interface RowIdentity {
  sourceType: string | null;
  sourceName: string | null;
  entity: string | null;
  filename: string;
}

/** A column of a tracking table that identifies a row, and the field holding its value. */
export interface IdentityColumn {
  column: 'filename' | 'source_type' | 'source_name' | 'entity_name';
  field: keyof RowIdentity;
}

export interface TrackingDescriptor {
  table: TrackingTable;
  /** The columns of the table's UNIQUE constraint, filename last. */
  key: readonly IdentityColumn[];
  /** Every identity column written when a file is recorded (the key plus the origin columns). */
  recorded: readonly IdentityColumn[];
  /** Rows of this table belong to the active setup whatever the sources (there is one core). */
  alwaysActive: boolean;
  /** The tier a row of this table reports (content rows: their `source_type`). */
  tierOf(row: RowIdentity): string;
  /** A human name for a row whose file is not on disk. */
  describe(row: RowIdentity): string;
}

const FILENAME: IdentityColumn = { column: 'filename', field: 'filename' };
const SOURCE_TYPE: IdentityColumn = { column: 'source_type', field: 'sourceType' };
const SOURCE_NAME: IdentityColumn = { column: 'source_name', field: 'sourceName' };
const ENTITY: IdentityColumn = { column: 'entity_name', field: 'entity' };

export const TRACKING_TABLES: Readonly<Record<TrackingTable, TrackingDescriptor>> = {
  _migrations: {
    table: '_migrations',
    key: [FILENAME],
    recorded: [FILENAME],
    alwaysActive: true,
    tierOf: () => 'core',
    describe: (row) => `migrations/${row.filename}`,
  },
  _content_migrations: {
    table: '_content_migrations',
    key: [SOURCE_TYPE, SOURCE_NAME, FILENAME],
    recorded: [SOURCE_TYPE, SOURCE_NAME, FILENAME],
    alwaysActive: false,
    tierOf: (row) => row.sourceType ?? 'theme',
    describe: (row) => `${row.sourceType} ${row.sourceName}: ${row.filename}`,
  },
  _entity_migrations: {
    table: '_entity_migrations',
    // Entity rows are keyed by entity name alone: the entity may move between owners.
    key: [ENTITY, FILENAME],
    recorded: [ENTITY, SOURCE_TYPE, SOURCE_NAME, FILENAME],
    alwaysActive: false,
    tierOf: () => 'entity',
    describe: (row) => `entity ${row.entity}${row.sourceName ? ` (${row.sourceType} ${row.sourceName})` : ''}: ${row.filename}`,
  },
};

/** The tracking tables in the order a run reads them. */
export const TRACKING_TABLE_NAMES = Object.keys(TRACKING_TABLES) as TrackingTable[];

/** Tables of earlier tools' layouts that the store folds in (and keeps, renamed). */
export const LEGACY_TRACKING_TABLE_NAMES = ['_theme_migrations', '_theme_migrations_legacy'] as const;

/**
 * The tool's own key/value table beside the tracking tables (the production marker).
 * Persisted format: never change.
 */
export const SETTINGS_TABLE = '_migrations_settings';

/** Setting keys in SETTINGS_TABLE. Persisted: never change. */
export const PRODUCTION_SETTING = 'production';

/** Our own record of repairs, baselines and rollbacks (src/tracking/history.ts). Never rename. */
export const HISTORY_TABLE_NAME = '_migrations_history';

/** Claims of no-transaction files being applied (src/tracking/claims.ts). Persisted name: never change. */
export const CLAIMS_TABLE_NAME = '_migrations_claims';

/** The tables the tool writes today: tracking tables, its settings, history and claims (locked down together). */
export const CURRENT_OWN_TABLE_NAMES: readonly string[] = [...TRACKING_TABLE_NAMES, SETTINGS_TABLE, HISTORY_TABLE_NAME, CLAIMS_TABLE_NAME];

/** Every table the tool owns, current and legacy: not application tables. */
export const OWN_TABLE_NAMES: ReadonlySet<string> = new Set([...CURRENT_OWN_TABLE_NAMES, ...LEGACY_TRACKING_TABLE_NAMES]);

/** The table that records files of a tier (core, content tiers, entity). */
export function trackingTableOfTier(tier: string): TrackingTable {
  return tier === 'core' ? '_migrations' : tier === 'entity' ? '_entity_migrations' : '_content_migrations';
}

/** A file's identity as its tracking row holds it. */
export function identityOfFile(file: Pick<MigrationFile, 'source' | 'filename'>): RowIdentity {
  const s = file.source;
  return { sourceType: s.sourceType, sourceName: s.sourceName, entity: s.entity, filename: file.filename };
}

/**
 * A key: the table, then the values of its key columns, `\u0000`-separated, null
 * as '' (`filename` null: the folder's key, without the filename column). Built by
 * concatenation, with no identity object or array: the plan makes a few keys per
 * file and per row, and a no-op run over thousands of files is mostly that.
 */
function keyOf(table: TrackingTable, id: Omit<RowIdentity, 'filename'>, filename: string | null): string {
  let key: string = table;
  for (const c of TRACKING_TABLES[table].key) {
    if (c.field !== 'filename') key += `\u0000${id[c.field] ?? ''}`;
    else if (filename !== null) key += `\u0000${filename}`;
  }
  return key;
}

/** The identity of a row: what the table's UNIQUE constraint covers. */
export function rowKey(row: TrackedRow): string {
  return keyOf(row.table, row, row.filename);
}

/** The key the file's row has (or would have). */
export function fileKey(file: Pick<MigrationFile, 'source' | 'filename'>): string {
  return keyOf(file.source.table, file.source, file.filename);
}

/** The folder a row belongs to as the table sees it: its key without the filename. */
export function rowFolderKey(table: TrackingTable, id: Omit<RowIdentity, 'filename'>): string {
  return keyOf(table, id, null);
}

/** The folder key of a source (the same for every file in it). */
export function sourceFolderKey(source: Source): string {
  return rowFolderKey(source.table, source);
}

/** A human name for a row whose file is not on disk. */
export function describeRow(row: TrackedRow): string {
  return TRACKING_TABLES[row.table].describe(row);
}
