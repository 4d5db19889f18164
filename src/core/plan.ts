// The plan: what a run would do, and what is wrong, computed from the files on
// disk and the tracking rows. Pure. `migrate`, `--dry-run` and `status` are
// different readings of the same plan.
import type { MigrationFile, Source, TrackedRow } from './types.js';
import { TRACKING_TABLES, describeRow, fileKey, rowFolderKey, rowKey, sourceFolderKey } from './tracking.js';
import { leadingNumber } from './naming.js';
import { filesByFolder, nameFault, numberedAcrossTier, numberGaps, sharedNumbers } from './numbering.js';
import { isKnownAlgorithm, isKnownTokenAlgorithm } from './checksum.js';

/** How bad a problem is: `error` stops a run; `notice` is information only. */
export type Severity = 'error' | 'warning' | 'notice';

/** Documented problem codes (appear in `--json` output). */
export type ProblemCode =
  | 'unnumbered-file'
  | 'naming'
  | 'duplicate-number'
  | 'sequence-gap'
  | 'entity-collision'
  | 'modified'
  | 'cosmetic-change'
  | 'missing'
  | 'out-of-order'
  | 'checksum-adopted'
  | 'checksum-unverifiable'
  | 'sample-data-skipped'
  | 'transaction-control'
  | 'outside-transaction'
  | 'no-transaction-unparsed'
  | 'unused-core-folder'
  | 'encoding'
  | 'psql-feature'
  | 'orphan-down-file';

export interface Problem {
  severity: Severity;
  code: ProblemCode;
  message: string;
  /** Relative path of the file concerned, when there is one. */
  file: string | null;
  hint: string | null;
}

export type PlannedState = 'applied' | 'pending' | 'modified' | 'sample-data-skipped';

export interface PlannedMigration {
  file: MigrationFile;
  state: PlannedState;
  /** Pending, but numbered below a file already applied from the same folder. */
  outOfOrder: boolean;
  /** Applied, but its row has no checksum yet (adopted database): fill it in. */
  adoptChecksum: boolean;
  /** The file's tracking row, when it has one. */
  row?: TrackedRow;
  /** The file's token checksum when the caller computed it (buildPlan's `tokenChecksums`), else null. */
  tokenChecksum: string | null;
}

export interface Plan {
  /** Every discovered file, in execution order. */
  items: PlannedMigration[];
  /** Tracked rows of active sources whose file is gone from disk. */
  missing: TrackedRow[];
  /** Tracked rows of themes, plugins or entities that are not active. */
  inactive: TrackedRow[];
  problems: Problem[];
  /** The database carries the production marker: sample data does not run unless forced. */
  productionDatabase: boolean;
}

export interface PlanOptions {
  /** Run `*sample_data*` files (false in production unless forced). */
  sampleData: boolean;
  /** The database is marked as production (read from it): sample data runs only when forced. */
  productionDatabase?: boolean;
  /** `--sample-data` was passed: sample data runs even on a production database. */
  sampleDataForced?: boolean;
  /** Out-of-order pending files are errors instead of warnings. */
  strictOrder: boolean;
  /** Tracked files missing from disk are warnings instead of errors. */
  allowMissing: boolean;
}

/** Whether the plan may be executed: no problem of severity `error`. */
export function hasErrors(plan: Plan): boolean {
  return plan.problems.some((p) => p.severity === 'error');
}

/**
 * Builds the plan. `files` must already be in execution order; `sources` are the
 * active sources (folders) even when they hold no file, so that rows of an active
 * source whose files were all deleted count as missing, not inactive.
 * `tokenChecksums` (by fileKey) are the token checksums the caller computed, for the
 * files tokensWanted names: an applied file whose bytes changed but whose tokens
 * match its row's is a cosmetic change, not a modification.
 */
export function buildPlan(
  files: readonly MigrationFile[],
  sources: readonly Source[],
  rows: readonly TrackedRow[],
  options: PlanOptions,
  tokenChecksums: ReadonlyMap<string, string | null> = new Map(),
): Plan {
  const problems: Problem[] = [...namingProblems(files), ...collisionProblems(sources)];
  const rowsByKey = new Map(rows.map((r) => [rowKey(r), r]));
  const filesByKey = new Set(files.map(fileKey));

  const maxAppliedInFolder = new Map<string, bigint>();
  for (const row of rows) {
    const n = leadingNumber(row.filename);
    if (n === null) continue;
    const folder = rowFolderKey(row.table, row);
    const current = maxAppliedInFolder.get(folder);
    if (current === undefined || n > current) maxAppliedInFolder.set(folder, n);
  }

  const runSampleData = options.sampleDataForced === true || (options.sampleData && options.productionDatabase !== true);
  const items: PlannedMigration[] = [];
  for (const file of files) {
    const key = fileKey(file);
    const row = rowsByKey.get(key);
    const tokenChecksum = tokenChecksums.get(key) ?? null;
    if (row) {
      const adoptChecksum = row.checksum === null;
      let state: PlannedState = 'applied';
      if (row.checksum !== null && isKnownAlgorithm(row.checksumAlgorithm)) {
        if (row.checksum !== file.checksum && tokenChecksum !== null && hasTokenChecksum(row) && row.tokenChecksum === tokenChecksum) {
          problems.push({
            severity: 'notice',
            code: 'cosmetic-change',
            file: file.path,
            message: `${file.path} was edited after it was applied, in comments or whitespace only (same tokens): not a change`,
            hint: null,
          });
        } else if (row.checksum !== file.checksum) {
          state = 'modified';
          problems.push({
            severity: 'error',
            code: 'modified',
            file: file.path,
            message: `${file.path} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… on record, ${file.checksum.slice(0, 12)}… on disk)`,
            hint: 'Executed migrations must never be modified: restore the file (git checkout) and put the change in a new migration; if the edit was deliberate and harmless, record it with `repair --accept <file>`.',
          });
        }
      } else if (row.checksum !== null) {
        problems.push({
          severity: 'notice',
          code: 'checksum-unverifiable',
          file: file.path,
          message: `${file.path}: recorded checksum uses unknown algorithm "${row.checksumAlgorithm}", not compared`,
          hint: null,
        });
      } else {
        problems.push({
          severity: 'notice',
          code: 'checksum-adopted',
          file: file.path,
          message: `${file.path}: applied before checksums were recorded; recording the current file's checksum`,
          hint: null,
        });
      }
      items.push({ file, state, outOfOrder: false, adoptChecksum, row, tokenChecksum });
      continue;
    }
    if (file.sampleData && !runSampleData) {
      items.push({ file, state: 'sample-data-skipped', outOfOrder: false, adoptChecksum: false, tokenChecksum });
      continue;
    }
    const maxApplied = maxAppliedInFolder.get(sourceFolderKey(file.source));
    const outOfOrder = maxApplied !== undefined && file.number !== null && file.number < maxApplied;
    if (outOfOrder) {
      problems.push({
        severity: options.strictOrder ? 'error' : 'warning',
        code: 'out-of-order',
        file: file.path,
        message: `${file.path} is pending but numbered below a file already applied from the same folder`,
        hint: options.strictOrder
          ? 'Renumber the file above the last applied one, or run without --strict-order to apply it anyway.'
          : 'It will run now; this usually means two branches were merged. Check it does not depend on order.',
      });
    }
    items.push({ file, state: 'pending', outOfOrder, adoptChecksum: false, tokenChecksum });
  }

  const activeFolders = new Set(sources.map(sourceFolderKey));
  const missing: TrackedRow[] = [];
  const inactive: TrackedRow[] = [];
  for (const row of rows) {
    if (filesByKey.has(rowKey(row))) continue;
    const active = TRACKING_TABLES[row.table].alwaysActive || activeFolders.has(rowFolderKey(row.table, row));
    (active ? missing : inactive).push(row);
  }
  for (const row of missing) {
    problems.push({
      severity: options.allowMissing ? 'warning' : 'error',
      code: 'missing',
      file: describeRow(row),
      message: `${describeRow(row)} was applied but is missing from disk`,
      hint: options.allowMissing
        ? null
        : 'Executed migrations must never be deleted: restore the file, or pass --allow-missing to run anyway.',
    });
  }
  return { items, missing, inactive, problems, productionDatabase: options.productionDatabase === true };
}

/** Whether a row carries a token checksum this version can compare. */
function hasTokenChecksum(row: TrackedRow): boolean {
  return row.tokenChecksum != null && isKnownTokenAlgorithm(row.tokenChecksumAlgorithm);
}

/**
 * The files whose token checksums the plan needs, from a plan built without them:
 * files it would record (`recording`: pending), and applied files whose bytes changed
 * and whose row can be compared by tokens. Empty on a no-op run: no scanner loaded.
 */
export function tokensWanted(plan: Plan, recording: boolean): MigrationFile[] {
  return plan.items
    .filter((i) => (recording && i.state === 'pending') || (i.state === 'modified' && i.row !== undefined && hasTokenChecksum(i.row)))
    .map((i) => i.file);
}

/** Naming rules the engine enforces at run time (db:verify is stricter). */
export function namingProblems(files: readonly MigrationFile[]): Problem[] {
  const problems: Problem[] = [];
  const numbered: MigrationFile[] = [];
  for (const file of files) {
    const fault = nameFault(file);
    if (fault === 'unnumbered') {
      problems.push({
        severity: 'error',
        code: 'unnumbered-file',
        file: file.path,
        message: `${file.path} has no leading number, so its place in the order is unknown`,
        hint: 'Rename it to NNN_description.sql with the next number of its folder.',
      });
      continue;
    }
    if (fault === 'unconventional') {
      problems.push({
        severity: 'warning',
        code: 'naming',
        file: file.path,
        message: `${file.path} does not follow the NNN_snake_case.sql convention`,
        hint: 'Keep it if it has already run anywhere (renaming an executed migration re-runs it); name new files NNN_snake_case.sql.',
      });
    }
    numbered.push(file);
  }
  for (const [dir, list] of filesByFolder(numbered)) {
    for (const { number, files: same } of sharedNumbers(list)) {
      problems.push({
        severity: 'warning',
        code: 'duplicate-number',
        file: same[1]!.path,
        message: `${dir}: ${same.length} files share number ${number} (${same.map((f) => f.filename).join(', ')}); they run in name order`,
        hint: 'Usually two merged branches: renumber the one that has not run anywhere yet.',
      });
    }
    if (!numberedAcrossTier(list[0]!.source)) problems.push(...gapProblems(dir, list));
  }
  const entityFiles = numbered.filter((f) => numberedAcrossTier(f.source));
  if (entityFiles.length > 0) problems.push(...gapProblems('entity migrations (numbered across all entities)', entityFiles));
  return problems;
}

/** Gaps between numbers in use; a sequence may start anywhere (db:verify wants 001). */
function gapProblems(scope: string, files: readonly MigrationFile[]): Problem[] {
  return numberGaps(files)
    .filter((gap) => gap.below !== null)
    .map((gap): Problem => ({
      severity: 'warning',
      code: 'sequence-gap',
      file: gap.file.path,
      message: `${scope}: numbers jump from ${gap.below} to ${gap.above}`,
      hint: 'Never skip sequence numbers: use the next free number for new files.',
    }));
}

/** Two entities with one name from different folders would share tracking rows. */
export function collisionProblems(sources: readonly Source[]): Problem[] {
  const byEntity = new Map<string, Source[]>();
  for (const s of sources) {
    if (s.table !== '_entity_migrations' || !s.entity) continue;
    byEntity.set(s.entity, [...(byEntity.get(s.entity) ?? []), s]);
  }
  const problems: Problem[] = [];
  for (const [entity, list] of byEntity) {
    if (list.length < 2) continue;
    problems.push({
      severity: 'error',
      code: 'entity-collision',
      file: list[0]!.dir,
      message: `entity "${entity}" is defined in ${list.length} folders: ${list.map((s) => s.entityDir ?? s.dir).join(', ')}`,
      hint: 'Entity migrations are tracked by entity name and file name: rename one of the entities.',
    });
  }
  return problems;
}
