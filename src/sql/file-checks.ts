// The engine's pre-run checks of the SQL in the files about to run: transaction
// control, and psql client features. Each suspect file is parsed once for both;
// files the lexical pre-filter clears (usually all) never load the parser.
import type { MigrationFile } from '../core/types.js';
import type { Problem } from '../core/plan.js';
import { loadParser } from './statements.js';
import { mayNeedParser } from './statement-starts.js';
import { describeClientFeature, readScript } from './psql-features.js';
import { transactionControlProblems } from './transaction-control.js';

/** Errors that must stop a run before anything in it runs. */
export async function sqlFileProblems(files: readonly MigrationFile[]): Promise<Problem[]> {
  const suspects = files.filter((f) => mayNeedParser(f.content));
  if (suspects.length === 0) return [];
  const parser = await loadParser();
  const problems: Problem[] = [];
  for (const file of suspects) {
    const text = file.content.charCodeAt(0) === 0xfeff ? file.content.slice(1) : file.content;
    const { spans, features } = readScript(parser, text);
    for (const feature of features) {
      const { message, hint, line, column } = describeClientFeature(text, feature);
      problems.push({ severity: 'error', code: 'psql-feature', file: file.path, message: `${file.path}:${line}:${column}: ${message}`, hint });
    }
    // A syntax error nothing explains: the server is the judge (its version may differ from our parser's).
    if (spans) problems.push(...transactionControlProblems(file, text, spans));
  }
  return problems;
}
