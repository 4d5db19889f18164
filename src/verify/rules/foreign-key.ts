// foreign-key: a reference to a user-owned parent (the "user" table, or any table
// with a "userId" column) says what happens when the parent goes: without ON DELETE,
// deleting a user fails as soon as one row anywhere points at what they own. A
// "userId" column referencing "user" is expected to CASCADE.
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import { display, keyOf } from '../ast.js';

const ACTIONS: Record<string, string> = { r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT', a: 'NO ACTION' };

export const foreignKeyRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  const { tables } = setup.corpus;
  for (const table of tables.values()) {
    for (const fk of table.foreignKeys) {
      const parentKey = keyOf(fk.parent);
      const parentIsUser = parentKey === 'public.user';
      const userOwned = parentIsUser || (tables.get(parentKey)?.columns.has('userId') ?? false);
      if (!userOwned) continue;
      const columns = fk.columns.map((c) => `"${c}"`).join(', ');
      const what = `${display(table.name)}(${columns}) REFERENCES ${display(fk.parent)}`;
      if (fk.onDelete === 'a') {
        findings.push(
          atStatement(
            'foreign-key',
            fk.stmt,
            fk.location,
            `${what} has no ON DELETE: deleting ${parentIsUser ? 'a user' : `a ${display(fk.parent)} row (owned by a user)`} fails while rows here point at it`,
            fk.columns.length === 1 && fk.columns[0] === 'userId'
              ? 'Add ON DELETE CASCADE: a user\'s rows go with the user.'
              : 'Add ON DELETE CASCADE (rows go with their parent) or ON DELETE SET NULL (rows outlive it).',
          ),
        );
      } else if (parentIsUser && fk.columns.length === 1 && fk.columns[0] === 'userId' && fk.onDelete !== 'c') {
        findings.push(
          atStatement(
            'foreign-key',
            fk.stmt,
            fk.location,
            `${what} ON DELETE ${ACTIONS[fk.onDelete] ?? fk.onDelete}: a user's rows are expected to go with the user (ON DELETE CASCADE)`,
            'Use ON DELETE CASCADE; if these rows must outlive their user, say why with -- verify:ignore foreign-key <reason> above the statement.',
          ),
        );
      }
    }
  }
  return findings;
};
