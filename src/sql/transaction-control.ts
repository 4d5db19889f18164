// Finds BEGIN/COMMIT/ROLLBACK/SAVEPOINT… written inside migration files. The
// engine wraps each file in its own transaction with its tracking row; a COMMIT
// inside the file would end that transaction early, so that an error after it
// leaves part of the file applied and unrecorded. Checked before anything runs.
import type { MigrationFile } from '../core/types.js';
import type { Problem } from '../core/plan.js';
import { lineColumnAtIndex } from '../core/position.js';
import { stripBom } from '../core/text.js';
import { loadParser, splitStatementsSync, SqlSyntaxError } from './statements.js';
import { mayContainTransactionControl } from './statement-starts.js';
import { TRANSACTION_STATEMENT_NAMES } from './transaction-kinds.js';

/** One error per transaction-control statement found in `files`. */
export async function transactionControlProblems(files: readonly MigrationFile[]): Promise<Problem[]> {
  // Only files the lexical pre-filter cannot clear go to the parser (usually none).
  const suspects = files.filter((f) => mayContainTransactionControl(f.content));
  if (suspects.length === 0) return [];
  const parser = await loadParser();
  const problems: Problem[] = [];
  for (const file of suspects) {
    const text = stripBom(file.content);
    let spans;
    try {
      spans = splitStatementsSync(parser, text);
    } catch (error) {
      // The server is the judge of syntax (its version may differ from our parser's).
      if (error instanceof SqlSyntaxError) continue;
      throw error;
    }
    for (const span of spans) {
      const stmt = (span.node as { TransactionStmt?: { kind?: string } }).TransactionStmt;
      if (!stmt) continue;
      const at = lineColumnAtIndex(text, span.start + (text.slice(span.start).length - text.slice(span.start).trimStart().length));
      const what = TRANSACTION_STATEMENT_NAMES[stmt.kind ?? ''] ?? 'transaction control';
      problems.push({
        severity: 'error',
        code: 'transaction-control',
        file: file.path,
        message: `${file.path}:${at.line}:${at.column}: ${what} inside a migration file`,
        hint: 'Each file already runs in its own transaction together with its tracking row: remove BEGIN/COMMIT/ROLLBACK from the file.',
      });
    }
  }
  return problems;
}
