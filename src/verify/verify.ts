// The static check: parse every file once, build each setup's corpus once, run the
// rules, apply the authors' directives. Pure: files and the parser are handed in.
import type { MigrationFile } from '../core/types.js';
import type { Finding, RawFinding, SuppressedFinding } from './types.js';
import { parseMigration, type ParsedFile, type Parser } from './parse.js';
import { buildCorpus, type Corpus } from './corpus.js';
import { atFile, type SetupContext } from './finding.js';
import { DOWN_FILE_RULES, FILE_RULES, SETUP_RULES } from './rules/index.js';
import { describeOrphanDownFile } from '../core/down-files.js';
import { applyDirectives, readDirectives, type Directive, type FileDirectives } from './suppress.js';
import { DATABASE_SUPPRESSIBLE_RULES } from './types.js';

/** One combination of tiers that runs together: core, a theme and its plugins. */
export interface SetupFiles {
  label: string;
  /** In execution order. */
  files: readonly MigrationFile[];
  /** Down files that match no migration (core/down-files.ts): warned about. */
  orphanDownFiles?: readonly MigrationFile[];
}

export interface StaticResult {
  /** Findings that stand, grouped by file (files in execution order), then by place. */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /**
   * Directives that silenced nothing (the finding they were for is gone). Those for a
   * database check are left out: only that check, when it runs, can tell.
   */
  unusedDirectives: Directive[];
  /** Each file parsed, by path, and its directives (the database checks' findings are silenced with the same ones). */
  parsed: Map<string, ParsedFile>;
  directives: Map<string, FileDirectives>;
  /** Every distinct file checked, in execution order. */
  files: string[];
  /** Each setup's corpus, by label (the live checks compare the database with it). */
  corpora: Map<string, Corpus>;
}

/** Checks the files of one or more setups. A file shared by setups is parsed and checked once. */
export function verifyStatic(parser: Parser, setups: readonly SetupFiles[]): StaticResult {
  const parsed = new Map<string, ParsedFile>();
  // Down files are parsed right after their migration (their findings are listed
  // after its own), and are in no setup's corpus: they never run with the migrations.
  const downs: { file: ParsedFile; setup: number; orphan: boolean }[] = [];
  const parseDown = (down: MigrationFile, setup: number, orphan: boolean) => {
    if (parsed.has(down.path)) return;
    const p = parseMigration(parser, down);
    parsed.set(down.path, p);
    downs.push({ file: p, setup, orphan });
  };
  const contexts: SetupContext[] = setups.map((setup, index) => {
    const files = setup.files.map((file) => {
      let p = parsed.get(file.path);
      if (!p) {
        p = parseMigration(parser, file);
        parsed.set(file.path, p);
        if (file.down) parseDown(file.down, index, false);
      }
      return p;
    });
    for (const orphan of setup.orphanDownFiles ?? []) parseDown(orphan, index, true);
    return { label: setup.label, files, corpus: buildCorpus(files) };
  });

  const raw = new Map<string, RawFinding[]>();
  const add = (f: RawFinding) => raw.set(f.file, [...(raw.get(f.file) ?? []), f]);

  // File rules: once per file, with the corpus of the first setup holding it.
  const checked = new Set<string>();
  for (const ctx of contexts) {
    for (const file of ctx.files) {
      if (checked.has(file.file.path)) continue;
      checked.add(file.file.path);
      for (const rule of FILE_RULES) rule(file, ctx).forEach(add);
    }
  }

  for (const down of downs) {
    for (const rule of DOWN_FILE_RULES) rule(down.file, contexts[down.setup]!).forEach(add);
    if (down.orphan) {
      const { message, hint } = describeOrphanDownFile(down.file.file);
      add(atFile('down-file', down.file.file.path, message, hint));
    }
  }

  // Setup rules: once per setup. A finding some setups holding its file do not share
  // is true only with those setups: it says which.
  const setupsOfFile = new Map<string, string[]>();
  for (const ctx of contexts) for (const f of ctx.files) setupsOfFile.set(f.file.path, [...(setupsOfFile.get(f.file.path) ?? []), ctx.label]);
  const seen = new Map<string, { finding: RawFinding; setups: string[] }>();
  for (const ctx of contexts) {
    for (const rule of SETUP_RULES) {
      for (const f of rule(ctx)) {
        const key = `${f.rule}\u0000${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.message}`;
        const entry = seen.get(key);
        if (entry) entry.setups.push(ctx.label);
        else seen.set(key, { finding: f, setups: [ctx.label] });
      }
    }
  }
  for (const { finding, setups: labels } of seen.values()) {
    const holding = setupsOfFile.get(finding.file) ?? [];
    add(labels.length < holding.length ? { ...finding, message: `${finding.message} (with ${labels.join('; ')})` } : finding);
  }

  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const unusedDirectives: Directive[] = [];
  const directivesOf = new Map<string, FileDirectives>();
  for (const [path, file] of parsed) {
    const directives = readDirectives(file);
    directivesOf.set(path, directives);
    const { kept, suppressed: silenced } = applyDirectives(raw.get(path) ?? [], directives);
    const all = [...kept, ...directives.problems].sort((a, b) => a.line - b.line || a.column - b.column);
    for (const { statement: _statement, ...finding } of all) findings.push(finding);
    suppressed.push(...silenced);
    for (const d of directives.all) if (!d.used && !DATABASE_SUPPRESSIBLE_RULES.has(d.rule)) unusedDirectives.push(d);
  }
  return { findings, suppressed, unusedDirectives, files: [...parsed.keys()], corpora: new Map(contexts.map((c) => [c.label, c.corpus])), parsed, directives: directivesOf };
}
