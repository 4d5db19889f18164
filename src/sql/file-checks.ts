// The engine's pre-run checks of the SQL in the files about to run: transaction
// control, psql client features, and statements that cannot run in a transaction
// in a file without `-- migrate:no-transaction`. Each suspect file is parsed once
// for all; files the lexical pre-filter clears (usually all) never load the parser.
import type { MigrationFile } from '../core/types.js';
import type { Problem } from '../core/plan.js';
import { firstTokenIndex, loadParser } from './statements.js';
import { mayNeedParser } from './statement-starts.js';
import { describeClientFeature, readScript } from './psql-features.js';
import { transactionControlProblems } from './transaction-control.js';
import { isNoTransaction } from './directives.js';
import { NO_TRANSACTION_HINT, outsideTransactionOnly } from './outside-transaction.js';
import { lineColumnAtIndex } from '../core/position.js';
import { kindOf } from '../verify/ast.js';

/** Errors that must stop a run before anything in it runs. */
export async function sqlFileProblems(files: readonly MigrationFile[]): Promise<Problem[]> {
  // A no-transaction file is always parsed: the engine splits it into statements.
  const suspects = files.filter((f) => mayNeedParser(f.content) || isNoTransaction(f.content));
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
    const noTransaction = isNoTransaction(text);
    // A syntax error nothing explains: the server is the judge (its version may differ from our parser's)…
    if (spans) {
      problems.push(...transactionControlProblems(file, text, spans));
      if (!noTransaction) {
        for (const span of spans) {
          const what = outsideTransactionOnly(span.node, kindOf(span.node));
          if (!what) continue;
          const at = lineColumnAtIndex(text, firstTokenIndex(parser, text, span));
          problems.push({
            severity: 'error',
            code: 'outside-transaction',
            file: file.path,
            message: `${file.path}:${at.line}:${at.column}: ${what} cannot run inside a transaction block, and this file runs in one`,
            hint: NO_TRANSACTION_HINT,
          });
        }
      }
    } else if (noTransaction && features.length === 0) {
      // … except in a no-transaction file, which the engine must split into statements itself.
      problems.push({
        severity: 'error',
        code: 'no-transaction-unparsed',
        file: file.path,
        message: `${file.path}: a -- migrate:no-transaction file must parse: its statements are sent one by one`,
        hint: 'Fix the syntax error (npm run db:verify shows where), or remove the directive.',
      });
    }
  }
  return problems;
}
