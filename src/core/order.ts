// The order a run applies files in. Pure; the persisted tracking rows of older
// installations depend on it, so every rule here is deliberate.
import type { MigrationFile } from './types.js';
import { compareByNumberThenName } from './naming.js';

const CONTENT_TIERS = new Set(['theme', 'theme-settings', 'plugin', 'plugin-settings']);

/**
 * Orders all discovered files for execution:
 * core (number, name) → content schema (sources in discovery order) → entity schema
 * (global number, parent before child, theme before plugin, entity name, file name)
 * → content sample data → entity sample data.
 *
 * `sources` order is discovery order: theme, theme settings, then each plugin in the
 * theme's list followed by its settings; it decides the content tier's order.
 */
export function orderForExecution(files: readonly MigrationFile[], sourceOrder: ReadonlyMap<string, number>): MigrationFile[] {
  const core: MigrationFile[] = [];
  const contentSchema: MigrationFile[] = [];
  const contentSample: MigrationFile[] = [];
  const entitySchema: MigrationFile[] = [];
  const entitySample: MigrationFile[] = [];
  for (const file of files) {
    const tier = file.source.tier;
    if (tier === 'core') core.push(file);
    else if (CONTENT_TIERS.has(tier)) (file.sampleData ? contentSample : contentSchema).push(file);
    else (file.sampleData ? entitySample : entitySchema).push(file);
  }
  const byContentSource = (a: MigrationFile, b: MigrationFile): number =>
    (sourceOrder.get(a.source.dir) ?? 0) - (sourceOrder.get(b.source.dir) ?? 0) || compareByNumberThenName(a, b);
  core.sort(compareByNumberThenName);
  contentSchema.sort(byContentSource);
  contentSample.sort(byContentSource);
  entitySchema.sort(compareEntityFiles);
  entitySample.sort(compareEntityFiles);
  return [...core, ...contentSchema, ...entitySchema, ...contentSample, ...entitySample];
}

/** Entity files are numbered globally by their authors: every 001_ before any 002_. */
export function compareEntityFiles(a: MigrationFile, b: MigrationFile): number {
  const an = a.number ?? -1n;
  const bn = b.number ?? -1n;
  if (an !== bn) return an < bn ? -1 : 1;
  if (a.source.entityDepth !== b.source.entityDepth) return a.source.entityDepth - b.source.entityDepth;
  const rank = (f: MigrationFile) => (f.source.sourceType === 'theme' ? 0 : 1);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const ae = a.source.entity ?? '';
  const be = b.source.entity ?? '';
  if (ae !== be) return ae < be ? -1 : 1;
  return a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0;
}
