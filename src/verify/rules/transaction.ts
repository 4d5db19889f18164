// transaction: the engine runs each file inside one transaction, so a file must
// not hold statements PostgreSQL refuses there (CREATE INDEX CONCURRENTLY, VACUUM,
// ALTER SYSTEM, …) nor control transactions itself (BEGIN, COMMIT, SAVEPOINT, a
// COMMIT inside a DO block).
import type { Node } from 'libpg-query';
import { atStatement, type FileRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import { as } from '../ast.js';
import { TRANSACTION_STATEMENT_NAMES } from '../../sql/transaction-kinds.js';

/** What in the statement cannot run inside a transaction block, or null. */
function outsideOnly(node: Node, kind: string): string | null {
  switch (kind) {
    case 'IndexStmt':
      return as(node, 'IndexStmt')!.concurrent ? 'CREATE INDEX CONCURRENTLY' : null;
    case 'DropStmt':
      return as(node, 'DropStmt')!.concurrent ? 'DROP INDEX CONCURRENTLY' : null;
    case 'ReindexStmt': {
      const reindex = as(node, 'ReindexStmt')!;
      const concurrently = (reindex.params ?? []).some((p) => as(p, 'DefElem')?.defname === 'concurrently');
      if (concurrently) return 'REINDEX CONCURRENTLY';
      return reindex.kind === 'REINDEX_OBJECT_SYSTEM' || reindex.kind === 'REINDEX_OBJECT_DATABASE' ? `REINDEX ${reindex.kind.slice('REINDEX_OBJECT_'.length)}` : null;
    }
    case 'VacuumStmt':
      return as(node, 'VacuumStmt')!.is_vacuumcmd ? 'VACUUM' : null;
    case 'ClusterStmt':
      return as(node, 'ClusterStmt')!.relation ? null : 'CLUSTER without a table';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    case 'CreatedbStmt':
      return 'CREATE DATABASE';
    case 'DropdbStmt':
      return 'DROP DATABASE';
    case 'CreateTableSpaceStmt':
      return 'CREATE TABLESPACE';
    case 'DropTableSpaceStmt':
      return 'DROP TABLESPACE';
    case 'CreateSubscriptionStmt':
      return 'CREATE SUBSCRIPTION';
    case 'DropSubscriptionStmt':
      return 'DROP SUBSCRIPTION';
    case 'AlterTableStmt': {
      const detach = (as(node, 'AlterTableStmt')!.cmds ?? []).some((c) => {
        const cmd = as(c, 'AlterTableCmd');
        return cmd?.subtype === 'AT_DetachPartition' && as(cmd.def, 'PartitionCmd')?.concurrent === true;
      });
      return detach ? 'DETACH PARTITION CONCURRENTLY' : null;
    }
    default:
      return null;
  }
}

export const transactionRule: FileRule = (file) => {
  const findings: RawFinding[] = [];
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
          stmt.inDo
            ? `${word} inside a DO block: the engine runs the file in a transaction, where a DO block cannot end it`
            : `explicit ${word}: the engine runs each file in its own transaction and refuses transaction control inside it`,
          stmt.inDo ? `Remove the ${word}: the whole file commits or rolls back as one.` : `Remove it: the engine commits the file and its tracking row together, or rolls both back.`,
        ),
      );
      continue;
    }
    const what = outsideOnly(stmt.node, stmt.kind);
    if (!what) continue;
    findings.push(
      atStatement(
        'transaction',
        stmt,
        undefined,
        `${what} cannot run inside a transaction block, and the engine runs every file in one`,
        what.includes('CONCURRENTLY') ? `Drop CONCURRENTLY (the migration then locks the table while it runs), or run the statement outside migrations.` : 'Run it outside migrations (a maintenance script or the database console).',
      ),
    );
  }
  return findings;
};
