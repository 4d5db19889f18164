// Statements PostgreSQL refuses inside a transaction block. A file holding one must
// carry `-- migrate:no-transaction`; shared by the engine's pre-run checks and
// db:verify's transaction rule.
import type { Node } from 'libpg-query';
import { as } from '../verify/ast.js';

/** What in the statement (of parse-tree type `kind`) cannot run inside a transaction block, or null. */
export function outsideTransactionOnly(node: Node, kind: string): string | null {
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

/** The hint of every "cannot run inside a transaction block" finding: it names the directive. */
export const NO_TRANSACTION_HINT =
  "Put -- migrate:no-transaction in the file's header (its leading comments): the file then runs statement by statement outside a transaction. Keep such statements in a file of their own, each re-runnable (IF NOT EXISTS / IF EXISTS).";
