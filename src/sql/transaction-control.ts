// Finds BEGIN/COMMIT/ROLLBACK/SAVEPOINT… written inside migration files. The
// engine wraps each file in its own transaction with its tracking row; a COMMIT
// inside the file would end that transaction early, so that an error after it
// leaves part of the file applied and unrecorded. Checked before anything runs.
import type { MigrationFile } from '../core/types.js';
import type { Problem } from '../core/plan.js';
import { lineColumnAtIndex } from '../core/position.js';
import type { StatementSpan } from './statements.js';
import { TRANSACTION_STATEMENT_NAMES } from './transaction-kinds.js';

/** One error per transaction-control statement among `spans`, the statements of `text` (the file without its BOM). */
export function transactionControlProblems(file: MigrationFile, text: string, spans: readonly StatementSpan[]): Problem[] {
  const problems: Problem[] = [];
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
  return problems;
}
