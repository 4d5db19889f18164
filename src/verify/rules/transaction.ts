// transaction: the engine runs each file inside one transaction, so a file must
// not hold statements PostgreSQL refuses there (CREATE INDEX CONCURRENTLY, VACUUM,
// ALTER SYSTEM, …) unless its header says `-- migrate:no-transaction`, and no file
// controls transactions itself (BEGIN, COMMIT, SAVEPOINT, a COMMIT inside a DO block).
import { atStatement, type FileRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import { as } from '../ast.js';
import { TRANSACTION_STATEMENT_NAMES } from '../../sql/transaction-kinds.js';
import { isNoTransaction } from '../../sql/directives.js';
import { NO_TRANSACTION_HINT, outsideTransactionOnly } from '../../sql/outside-transaction.js';

export const transactionRule: FileRule = (file) => {
  const findings: RawFinding[] = [];
  const noTransaction = isNoTransaction(file.file.content);
  for (const stmt of file.statements) {
    const control = as(stmt.node, 'TransactionStmt');
    if (control) {
      // Savepoints included: the engine refuses every transaction-control statement in a file
      // (src/sql/transaction-control.ts), so verify must not pass what migrate rejects.
      const word = TRANSACTION_STATEMENT_NAMES[control.kind ?? ''] ?? 'transaction control';
      findings.push(
        atStatement(
          'transaction',
          stmt,
          undefined,
          noTransaction
            ? `${stmt.inDo ? `${word} inside a DO block` : `explicit ${word}`}: a no-transaction file runs each statement on its own, and the engine refuses transaction control in every file`
            : stmt.inDo
              ? `${word} inside a DO block: the engine runs the file in a transaction, where a DO block cannot end it`
              : `explicit ${word}: the engine runs each file in its own transaction and refuses transaction control inside it`,
          noTransaction
            ? `Remove it: each statement of a no-transaction file commits when it succeeds.`
            : stmt.inDo
              ? `Remove the ${word}: the whole file commits or rolls back as one.`
              : `Remove it: the engine commits the file and its tracking row together, or rolls both back.`,
        ),
      );
      continue;
    }
    // Allowed where the header asks for it; inside a DO block it still runs in one (the DO's).
    if (noTransaction && !stmt.inDo) continue;
    const what = outsideTransactionOnly(stmt.node, stmt.kind);
    if (!what) continue;
    findings.push(
      atStatement(
        'transaction',
        stmt,
        undefined,
        stmt.inDo ? `${what} cannot run inside a DO block (a DO block is one transaction)` : `${what} cannot run inside a transaction block, and the engine runs this file in one`,
        stmt.inDo ? 'Move it out of the DO block, as a statement of its own in a -- migrate:no-transaction file.' : NO_TRANSACTION_HINT,
      ),
    );
  }
  return findings;
};
