// Building findings at a statement, a parse-tree location or a whole file. Pure.
import type { Position } from '../core/position.js';
import type { RawFinding, StaticRuleId } from './types.js';
import { RULE_SEVERITY } from './types.js';
import type { ParsedFile, Statement } from './parse.js';
import type { Corpus } from './corpus.js';

/** One setup being checked: its files in execution order, and the schema they build. */
export interface SetupContext {
  /** e.g. `theme default (plugins ai, billing)`. */
  label: string;
  files: readonly ParsedFile[];
  corpus: Corpus;
}

/** A rule that reads one file (and, for lookups, the corpus of a setup holding it). */
export type FileRule = (file: ParsedFile, setup: SetupContext) => RawFinding[];

/** A rule that reads a whole setup: folders, numbering, the corpus. */
export type SetupRule = (setup: SetupContext) => RawFinding[];

/** A finding at a node of a statement (its start when `location` is undefined). */
export function atStatement(rule: StaticRuleId, stmt: Statement, location: number | undefined, message: string, fix: string): RawFinding {
  const { line, column } = stmt.at(location);
  return { rule, severity: RULE_SEVERITY[rule], file: stmt.file.file.path, line, column, message, fix, statement: stmt.top };
}

/** A finding about a file as a whole (or at a place no statement owns, like a header comment). */
export function atFile(rule: StaticRuleId, path: string, message: string, fix: string, position: Position = { line: 1, column: 1 }): RawFinding {
  return { rule, severity: RULE_SEVERITY[rule], file: path, line: position.line, column: position.column, message, fix, statement: null };
}
