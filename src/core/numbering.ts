// Facts about how a set of migration files is named and numbered: a name without
// a number or off the convention, numbers two files of a folder share, numbers a
// sequence skips. Neutral: the engine's problems (core/plan.ts) and db:verify's
// naming and sequence rules are each worded from these. Pure.
import type { MigrationFile, Source } from './types.js';
import { followsConvention } from './naming.js';

/** What is wrong with one file's name: no leading number (its place in the order is unknown), or not `NNN_snake_case.sql`. */
export type NameFault = 'unnumbered' | 'unconventional';

/** The fault of a file's name, or null; a name without a number is not judged further. */
export function nameFault(file: Pick<MigrationFile, 'number' | 'filename'>): NameFault | null {
  if (file.number === null) return 'unnumbered';
  return followsConvention(file.filename) ? null : 'unconventional';
}

/**
 * Whether a folder's files are numbered together with the rest of their tier: entity
 * files are numbered across all entities of the setup (the engine runs every 001_
 * before any 002_); core, theme and plugin folders each count on their own.
 */
export function numberedAcrossTier(source: Source): boolean {
  return source.tier === 'entity';
}

/** Files by folder (`source.dir`), folders in the order they first appear, files in input order. */
export function filesByFolder(files: Iterable<MigrationFile>): Map<string, MigrationFile[]> {
  const byFolder = new Map<string, MigrationFile[]>();
  for (const file of files) {
    const list = byFolder.get(file.source.dir);
    if (list) list.push(file);
    else byFolder.set(file.source.dir, [file]);
  }
  return byFolder;
}

/** A number that two or more files of one folder share. */
export interface SharedNumber {
  number: bigint;
  /** The files with that number, in input order. */
  files: MigrationFile[];
}

/** Numbers shared within `files` (one folder), in the order they first appear; unnumbered files are ignored. */
export function sharedNumbers(files: readonly MigrationFile[]): SharedNumber[] {
  const byNumber = new Map<bigint, MigrationFile[]>();
  for (const file of files) {
    if (file.number === null) continue;
    const same = byNumber.get(file.number);
    if (same) same.push(file);
    else byNumber.set(file.number, [file]);
  }
  return [...byNumber].filter(([, same]) => same.length > 1).map(([number, same]) => ({ number, files: same }));
}

/** Numbers a sequence skips. A sequence counts from 1 (0 may come before it). */
export interface NumberGap {
  /** The highest number in use below the gap; null when the gap opens the sequence. */
  below: bigint | null;
  /** The first and the last number missing. */
  from: bigint;
  to: bigint;
  /** The number in use just above the gap, and the first file (in input order) that has it. */
  above: bigint;
  file: MigrationFile;
}

/** The gaps of the sequence `files` form, lowest first; unnumbered files are ignored. */
export function numberGaps(files: readonly MigrationFile[]): NumberGap[] {
  const first = new Map<bigint, MigrationFile>();
  for (const f of files) if (f.number !== null && !first.has(f.number)) first.set(f.number, f);
  const numbers = [...first.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: NumberGap[] = [];
  let below: bigint | null = null;
  for (const n of numbers) {
    const from = below === null ? 1n : below + 1n;
    if (n > from) gaps.push({ below, from, to: n - 1n, above: n, file: first.get(n)! });
    below = n;
  }
  return gaps;
}
