// Token checksums: what a migration file says, as PostgreSQL's scanner reads it,
// without what it does not say (comments, whitespace). A licence header, a typo in
// a comment or a reformatted file keeps its token checksum; one changed token does
// not. Directive comments (`-- migrate:…`, `-- verify:…`) carry meaning, so they count.
import type { MigrationFile, Source, TrackedRow } from '../core/types.js';
import { buildPlan, tokensWanted, type Plan, type PlanOptions } from '../core/plan.js';
import { checksumOfTokens } from '../core/checksum.js';
import { fileKey } from '../core/tracking.js';
import { stripBom } from '../core/text.js';
import { loadParser, type StatementParser } from './statements.js';

/** A `--` comment that is a directive of this tool or of db:verify. */
const DIRECTIVE_COMMENT = /^--\s*(?:migrate|verify):/;

/**
 * The token checksum of one file's text, or null when the scanner cannot read it
 * (the row then keeps only its byte checksum, as rows did before).
 */
export function tokenChecksumOf(parser: Pick<StatementParser, 'scanSync'>, content: string): string | null {
  let tokens;
  try {
    // Line endings as the byte checksum sees them: a CRLF checkout is no edit inside a string either.
    tokens = parser.scanSync(stripBom(content).replace(/\r\n?/g, '\n')).tokens;
  } catch {
    return null;
  }
  const kept: string[] = [];
  for (const token of tokens) {
    if (token.tokenName === 'C_COMMENT') continue;
    // A directive's trailing blanks are whitespace, not meaning.
    if (token.tokenName === 'SQL_COMMENT') {
      if (DIRECTIVE_COMMENT.test(token.text)) kept.push(token.text.trimEnd());
      continue;
    }
    kept.push(token.text);
  }
  return checksumOfTokens(kept);
}

/** Token checksums of `files`, by file key (see fileKey); loads the scanner only when there is a file. */
export async function tokenChecksums(files: readonly MigrationFile[]): Promise<Map<string, string | null>> {
  const sums = new Map<string, string | null>();
  if (files.length === 0) return sums;
  const parser = await loadParser();
  for (const file of files) sums.set(fileKey(file), tokenChecksumOf(parser, file.content));
  return sums;
}

/**
 * The plan, with the token checksums it needs (see tokensWanted): planned once
 * without them, and again with them only when some file needs them, so that a
 * no-op run never loads the scanner. `recording`: pending files will be recorded.
 */
export async function planWithTokens(
  files: readonly MigrationFile[],
  sources: readonly Source[],
  rows: readonly TrackedRow[],
  options: PlanOptions,
  recording: boolean,
): Promise<Plan> {
  const plan = buildPlan(files, sources, rows, options);
  const wanted = tokensWanted(plan, recording);
  return wanted.length === 0 ? plan : buildPlan(files, sources, rows, options, await tokenChecksums(wanted));
}
