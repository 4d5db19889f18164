// Directives a migration file carries in its header (the comments before its first
// statement), read in this one place by the engine, the file checks, db:verify and
// db:new. The directive's spelling is a persisted format: never change it.
import { headerComments } from './statement-starts.js';

/** Runs the file outside a transaction, statement by statement. Never change. */
export const NO_TRANSACTION_DIRECTIVE = '-- migrate:no-transaction';

/** One header comment that is the directive (a regex over that comment alone, never the SQL). */
const NO_TRANSACTION = /^--\s*migrate:no-transaction\s*$/i;

/**
 * Whether `content` (a file's text, BOM or not) carries `-- migrate:no-transaction`
 * in its header. Only a line comment of its own counts: a directive inside a
 * statement, a string or after the first statement does not.
 */
export function isNoTransaction(content: string): boolean {
  // The common case, without scanning: most files never mention it.
  if (!content.includes('migrate:no-transaction')) return false;
  return headerComments(content).some((comment) => NO_TRANSACTION.test(comment.trim()));
}
