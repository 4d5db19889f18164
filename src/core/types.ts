// The vocabulary shared by discovery, planning and execution.
// Tiers are data: a Source says where files live and which tracking row records them.

/** The six kinds of migration folder, in the order a run visits them. */
export type Tier = 'core' | 'theme' | 'theme-settings' | 'plugin' | 'plugin-settings' | 'entity';

/** Tracking tables. Their names and documented columns are a persisted format: never change. */
export type TrackingTable = '_migrations' | '_content_migrations' | '_entity_migrations';

/** One migration folder of the active setup. */
export interface Source {
  tier: Tier;
  table: TrackingTable;
  /** `source_type` column value: tier for content rows, 'theme' | 'plugin' for entity rows, null for core. */
  sourceType: string | null;
  /** `source_name` column value (theme, plugin or `<name>/settings/<area>`), null for core. */
  sourceName: string | null;
  /** Entity name for the entity tier (the folder name, also for children), else null. */
  entity: string | null;
  /** 0 for a top-level entity, 1 for its child, 2 for a grandchild…; 0 outside the entity tier. */
  entityDepth: number;
  /** Folder holding the `.sql` files, relative to the project root, with `/` separators. */
  dir: string;
  /** Folder of the entity itself (the one holding `migrations/`), for collision messages. */
  entityDir: string | null;
}

/** A `.sql` file found in a source folder. */
export interface MigrationFile {
  source: Source;
  filename: string;
  /** Path relative to the project root, `/` separators. */
  path: string;
  /** Leading number of the filename, or null when the name has none. */
  number: bigint | null;
  /** The text, decoded as UTF-8 (U+FFFD in place of bad bytes: see `invalidUtf8`). */
  content: string;
  checksum: string;
  sampleData: boolean;
  /**
   * The file's first byte that is not UTF-8, or null. Absent means valid: only files
   * read from disk can be invalid (one made from a string never is).
   */
  readonly invalidUtf8?: InvalidUtf8 | null;
  /**
   * Its down file (`NNN_name.down.sql` in the same folder, core/down-files.ts), which
   * db:rollback runs to undo it; null or absent when it has none. Never a migration itself.
   */
  down?: MigrationFile | null;
}

/** A row read from one of the tracking tables, normalised across the three tables. */
export interface TrackedRow {
  table: TrackingTable;
  sourceType: string | null;
  sourceName: string | null;
  entity: string | null;
  filename: string;
  checksum: string | null;
  checksumAlgorithm: string | null;
  /** When the row was written (`executed_at`, the server's local time, as text), when known. */
  executedAt?: string | null;
  /** How long the file took on the server (`duration_ms`), when recorded. */
  durationMs?: number | null;
  /** Checksum of the file's tokens (`token_checksum`), for rows recorded since it exists. */
  tokenChecksum?: string | null;
  tokenChecksumAlgorithm?: string | null;
}

/** Where a file stops being valid UTF-8. */
export interface InvalidUtf8 {
  /** 0-based offset of the first byte that is not part of a valid UTF-8 sequence. */
  byteOffset: number;
  /** That byte's value. */
  byte: number;
  /** 1-based line and column (characters, BOM not counted), as editors show them. */
  line: number;
  column: number;
  /** The line, decoded with U+FFFD for bad bytes. */
  lineText: string;
}
