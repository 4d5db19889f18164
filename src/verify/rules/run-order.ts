// run-order: a statement that names a table only a later file of the run creates
// (a foreign key, a policy on it or reading it, a trigger on it, a view or an
// INSERT … SELECT reading it, an ALTER TABLE or index on it) fails on a fresh
// database: when it runs, the table is not there yet. Typically a core migration
// pointing at a plugin's table, or an entity file numbered before its parent's.
import type { Node, RangeVar } from 'libpg-query';
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { Statement } from '../parse.js';
import { as, display, keyOf, relationName, walk, type QualifiedName } from '../ast.js';
import { createdRelations } from './created.js';

interface Reference {
  name: QualifiedName;
  location: number | undefined;
  /** How the statement uses it: `references`, `reads`, `is on`. */
  how: string;
}

const rangeVar = (payload: Record<string, unknown>): QualifiedName | null => relationName(payload as RangeVar);

/** Every RangeVar below `value` (FROM items, subqueries, EXISTS …). */
function readsIn(value: unknown, out: Reference[]): void {
  walk(value, (kind, payload) => {
    if (kind !== 'RangeVar') return;
    const name = rangeVar(payload);
    if (name) out.push({ name, location: payload.location as number | undefined, how: 'reads' });
  });
}

/** The tables a statement needs to exist when it runs. */
function referencesOf(stmt: Statement): Reference[] {
  const out: Reference[] = [];
  const fk = (value: unknown) =>
    walk(value, (kind, payload) => {
      if (kind !== 'Constraint' || payload.contype !== 'CONSTR_FOREIGN') return;
      const name = relationName(payload.pktable as RangeVar | undefined);
      if (name) out.push({ name, location: payload.location as number | undefined, how: 'references' });
    });
  const on = (rv: RangeVar | undefined) => {
    const name = relationName(rv);
    if (name) out.push({ name, location: rv?.location, how: 'is on' });
  };
  switch (stmt.kind) {
    case 'CreateStmt':
      fk(as(stmt.node, 'CreateStmt')!.tableElts);
      break;
    case 'AlterTableStmt': {
      const alter = as(stmt.node, 'AlterTableStmt')!;
      if (!alter.missing_ok) on(alter.relation);
      fk(alter.cmds);
      break;
    }
    case 'IndexStmt':
      on(as(stmt.node, 'IndexStmt')!.relation);
      break;
    case 'CreatePolicyStmt': {
      const policy = as(stmt.node, 'CreatePolicyStmt')!;
      on(policy.table);
      readsIn([policy.qual, policy.with_check], out);
      break;
    }
    case 'CreateTrigStmt':
      on(as(stmt.node, 'CreateTrigStmt')!.relation);
      break;
    case 'ViewStmt':
      readsIn(as(stmt.node, 'ViewStmt')!.query, out);
      break;
    case 'InsertStmt': {
      const insert = as(stmt.node, 'InsertStmt')!;
      on(insert.relation);
      readsIn(insert.selectStmt as Node | undefined, out);
      break;
    }
  }
  return out;
}

export const runOrderRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  const { files } = setup;
  // Where each relation is created, by file index (a relation created, dropped and created again keeps its first).
  const firstCreated = new Map<string, number>();
  files.forEach((file, index) => {
    for (const { name } of createdRelations(file)) if (!firstCreated.has(keyOf(name))) firstCreated.set(keyOf(name), index);
  });
  files.forEach((file, index) => {
    // Relations this file creates before a statement can be used by it; CTE names are not tables.
    const createdHere = new Set<string>();
    const creations = new Map(createdRelations(file).map((c) => [c.stmt, c.name]));
    for (const stmt of file.statements) {
      const cteNames = new Set<string>();
      walk(stmt.node, (kind, payload) => {
        if (kind === 'CommonTableExpr' && typeof payload.ctename === 'string') cteNames.add(payload.ctename);
      });
      const seen = new Set<string>();
      for (const ref of referencesOf(stmt)) {
        const key = keyOf(ref.name);
        if (seen.has(key) || createdHere.has(key) || (ref.name.schema === 'public' && cteNames.has(ref.name.name))) continue;
        seen.add(key);
        const at = firstCreated.get(key);
        if (at === undefined || at <= index) continue;
        const later = files[at]!.file.path;
        findings.push(
          atStatement(
            'run-order',
            stmt,
            ref.location,
            `this statement ${ref.how} ${display(ref.name)}, which only ${later} creates; that file runs later (file ${at + 1} of ${files.length} in the run order, this is file ${index + 1}), so this fails on a fresh database`,
            `Move the statement into ${later} or a file that runs after it (the order is core → theme → plugins → entities → sample data), or create ${display(ref.name)} before this file.`,
          ),
        );
      }
      const made = creations.get(stmt);
      if (made) createdHere.add(keyOf(made));
    }
  });
  return findings;
};
