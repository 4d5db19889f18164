// fk-index: every foreign-key column is the leading column of some index the
// migrations create (in any file or tier; PRIMARY KEY and UNIQUE count, partial
// indexes do not). Without one, deleting or updating a parent row scans the child
// table, under lock.
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { IndexInfo } from '../corpus.js';
import { display } from '../ast.js';
import { toSnake } from '../../core/naming.js';

function covers(index: IndexInfo, columns: readonly string[]): boolean {
  if (index.partial || index.columns.length < columns.length) return false;
  const leading = new Set(index.columns.slice(0, columns.length));
  return columns.every((c) => leading.has(c));
}

export const fkIndexRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  for (const table of setup.corpus.tables.values()) {
    for (const fk of table.foreignKeys) {
      if (fk.columns.length === 0 || table.indexes.some((i) => covers(i, fk.columns))) continue;
      const columns = fk.columns.map((c) => `"${c}"`).join(', ');
      const indexName = `idx_${toSnake(table.name.name)}_${fk.columns.map(toSnake).join('_')}`;
      findings.push(
        atStatement(
          'fk-index',
          fk.stmt,
          fk.location,
          `foreign key ${display(table.name)}(${columns}) → ${display(fk.parent)} has no index with ${columns} as leading column${fk.columns.length > 1 ? 's' : ''}: deleting or updating a parent row scans ${display(table.name)}`,
          `CREATE INDEX IF NOT EXISTS ${indexName} ON ${display(table.name)}(${columns}); (in this or a later migration).`,
        ),
      );
    }
  }
  return findings;
};
