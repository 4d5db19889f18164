// hardcoded-data: outside `*_sample_data` files, an INSERT does not write literal
// ids or user ids ("never hardcode user IDs or data"): such rows exist in no real
// database, or collide with real ones. Values come from VALUES lists or a SELECT's
// output columns; without a column list, the table's columns from the corpus.
import type { Node } from 'libpg-query';
import { atStatement, type FileRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import { as, display, keyOf, relationName } from '../ast.js';

/** `id`, `userId`, `user_id`, `planId`…: columns that hold an identifier. */
function isIdColumn(name: string): boolean {
  return name === 'id' || name.endsWith('Id') || name.endsWith('_id');
}

/** The literal's location when the value is a non-NULL constant (possibly cast), else null. */
function literalAt(value: Node | undefined): number | null {
  const cast = as(value, 'TypeCast');
  if (cast) return literalAt(cast.arg) === null ? null : (cast.location ?? literalAt(cast.arg));
  const constant = as(value, 'A_Const');
  if (!constant || constant.isnull) return null;
  return constant.location ?? -1;
}

export const hardcodedDataRule: FileRule = (file, setup) => {
  if (file.file.sampleData) return [];
  const findings: RawFinding[] = [];
  for (const stmt of file.statements) {
    const insert = as(stmt.node, 'InsertStmt');
    if (!insert) continue;
    const table = relationName(insert.relation);
    if (!table) continue;
    let columns = (insert.cols ?? []).map((c) => as(c, 'ResTarget')?.name ?? '');
    if (columns.length === 0) {
      const known = setup.corpus.tables.get(keyOf(table));
      if (!known?.columnsKnown) continue;
      columns = [...known.columns.keys()];
    }
    const select = as(insert.selectStmt, 'SelectStmt');
    if (!select) continue;
    const rows: Node[][] = select.valuesLists
      ? select.valuesLists.map((list) => as(list, 'List')?.items ?? [])
      : [(select.targetList ?? []).map((t) => as(t, 'ResTarget')?.val).filter((v): v is Node => v !== undefined)];
    columns.forEach((column, i) => {
      if (!isIdColumn(column)) return;
      const literals = rows.map((row) => literalAt(row[i])).filter((at): at is number => at !== null);
      if (literals.length === 0) return;
      findings.push(
        atStatement(
          'hardcoded-data',
          stmt,
          literals[0]! < 0 ? undefined : literals[0],
          `INSERT into ${display(table)} writes literal values into "${column}"${literals.length > 1 ? ` (${literals.length} rows)` : ''}: hard-coded ${column === 'userId' || column === 'user_id' ? 'user ids' : 'ids'} outside sample data`,
          'Move the rows to a *_sample_data.sql file (skipped in production), or let the id default and find related rows by a natural key (email, slug).',
        ),
      );
    });
  }
  return findings;
};
