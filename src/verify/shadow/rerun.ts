// --idempotency: a file run a second time, right after its first application,
// in a transaction that is always rolled back. It must neither fail nor change
// anything (the catalog snapshot, row counts included): a database that saw the
// file once, or a runner that retries it, ends up the same.
import type { Database } from '../../db/driver.js';
import type { MigrationFile } from '../../core/types.js';
import { DatabaseError } from '../../core/errors.js';
import { stripBom } from '../../core/text.js';
import { lineColumnAtIndex } from '../../core/position.js';
import { locateFailure } from '../../run/locate-failure.js';
import { firstTokenIndex, loadParser, splitStatements } from '../../sql/statements.js';
import type { Finding } from '../types.js';
import { RULE_SEVERITY } from '../types.js';
import { describeChange, diffCatalog, snapshotCatalog, type CatalogChange } from './catalog.js';
import { isNoTransaction } from '../../sql/directives.js';

class Rollback extends Error {}

/** Runs `fn` in a transaction that is rolled back whatever happens. */
async function rolledBack(db: Database, fn: Parameters<Database['transaction']>[0]): Promise<void> {
  try {
    await db.transaction(async (tx, rows, locked) => {
      await fn(tx, rows, locked);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
}

const MAX_LISTED = 6;

/** The second run of `file` on `db` (where it has just been applied); a finding when it fails or changes anything. */
export async function secondRun(db: Database, file: MigrationFile): Promise<Finding | null> {
  const text = stripBom(file.content);
  let failure: DatabaseError | null = null;
  let changes: CatalogChange[] = [];
  if (isNoTransaction(text)) {
    // Cannot run in a transaction, so not rolled back: its statements one by one, as the
    // engine re-runs the file after a failure (the shadow is thrown away afterwards).
    const before = await snapshotCatalog(db);
    const parser = await loadParser();
    for (const span of await splitStatements(text)) {
      try {
        await db.exec(text.slice(span.start, span.end));
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        const at = lineColumnAtIndex(text, firstTokenIndex(parser, text, span));
        return {
          rule: 'idempotency',
          severity: RULE_SEVERITY.idempotency,
          file: file.path,
          line: at.line,
          column: at.column,
          message: `fails when run a second time: ${error.pg.message}${error.pg.sqlstate ? ` (SQLSTATE ${error.pg.sqlstate})` : ''}`,
          fix: 'A -- migrate:no-transaction file is re-run from its first statement after a failure: guard each statement (IF NOT EXISTS / IF EXISTS).',
        };
      }
    }
    changes = diffCatalog(before, await snapshotCatalog(db));
  } else {
    await rolledBack(db, async (tx) => {
      const before = await snapshotCatalog(tx);
      try {
        // The newline and semicolon close a last line comment or statement left open (as the engine does).
        await tx.exec(`${text}\n;`);
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        failure = error;
        return;
      }
      changes = diffCatalog(before, await snapshotCatalog(tx));
    });
  }
  const base = { rule: 'idempotency' as const, severity: RULE_SEVERITY.idempotency, file: file.path };
  if (failure) {
    const failed: DatabaseError = failure;
    const at = await locateFailure(text, failed).catch(() => null);
    return {
      ...base,
      line: at?.line ?? 1,
      column: at?.column ?? 1,
      message: `fails when run a second time: ${failed.pg.message}${failed.pg.sqlstate ? ` (SQLSTATE ${failed.pg.sqlstate})` : ''}`,
      fix: 'Guard the statement so a second run does nothing: IF NOT EXISTS / IF EXISTS, DROP … IF EXISTS before CREATE, ON CONFLICT DO NOTHING.',
    };
  }
  if (changes.length === 0) return null;
  // A no-transaction file cannot be replayed in a rolled-back transaction to find the statement.
  const at = isNoTransaction(text) ? null : await firstChangingStatement(db, text);
  const listed = changes.slice(0, MAX_LISTED).map(describeChange).join('; ');
  const more = changes.length > MAX_LISTED ? ` and ${changes.length - MAX_LISTED} more` : '';
  return {
    ...base,
    line: at?.line ?? 1,
    column: at?.column ?? 1,
    message: `a second run changes the database: ${listed}${more}`,
    fix: 'Make the statement a no-op when its work is done: ON CONFLICT DO NOTHING for rows, ADD COLUMN IF NOT EXISTS, CREATE … IF NOT EXISTS.',
  };
}

/** The first statement whose second run changes the snapshot (replayed one by one, rolled back). */
async function firstChangingStatement(db: Database, text: string): Promise<{ line: number; column: number } | null> {
  let spans;
  try {
    spans = await splitStatements(text);
  } catch {
    return null;
  }
  let found: { line: number; column: number } | null = null;
  await rolledBack(db, async (tx) => {
    let before = await snapshotCatalog(tx);
    for (const span of spans) {
      await tx.exec(text.slice(span.start, span.end));
      const after = await snapshotCatalog(tx);
      if (diffCatalog(before, after).length > 0) {
        found = lineColumnAtIndex(text, span.start);
        return;
      }
      before = after;
    }
  });
  return found;
}
