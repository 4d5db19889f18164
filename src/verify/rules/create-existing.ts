// create-existing: CREATE TABLE IF NOT EXISTS of a table an earlier file already
// created does nothing where it matters: on every database that ran the earlier
// file, its new columns and constraints are silently skipped, so the schema
// depends on which files a database happened to see first.
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { Statement } from '../parse.js';
import { as, display, keyOf, qualified, relationName, strings } from '../ast.js';
import { createdRelations } from './created.js';

export const createExistingRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  // Tables standing after the files so far, with the statement that created each.
  const standing = new Map<string, Statement>();
  for (const file of setup.files) {
    const creations = new Map(createdRelations(file).map((c) => [c.stmt, c]));
    for (const stmt of file.statements) {
      const created = creations.get(stmt);
      if (created?.table) {
        const key = keyOf(created.name);
        const earlier = standing.get(key);
        if (earlier && created.ifNotExists && earlier.file !== stmt.file) {
          findings.push(
            atStatement(
              'create-existing',
              stmt,
              undefined,
              `CREATE TABLE IF NOT EXISTS ${display(created.name)} does nothing: ${earlier.file.file.path}:${earlier.position.line} already creates it earlier in the run, so the columns and constraints written here are never added`,
              `Change the existing table instead: ALTER TABLE ${display(created.name)} ADD COLUMN IF NOT EXISTS … for each new column (and DROP … IF EXISTS / ADD CONSTRAINT for constraints).`,
            ),
          );
        }
        if (!earlier) standing.set(key, stmt);
        continue;
      }
      const drop = as(stmt.node, 'DropStmt');
      if (drop?.removeType === 'OBJECT_TABLE') {
        for (const object of drop.objects ?? []) {
          const name = qualified(strings(as(object, 'List')?.items));
          if (name) standing.delete(keyOf(name));
        }
      }
      const rename = as(stmt.node, 'RenameStmt');
      if (rename?.renameType === 'OBJECT_TABLE' && rename.newname) {
        const from = relationName(rename.relation);
        const stmtOf = from ? standing.get(keyOf(from)) : undefined;
        if (from && stmtOf) {
          standing.delete(keyOf(from));
          standing.set(keyOf({ schema: from.schema, name: rename.newname }), stmtOf);
        }
      }
    }
  }
  return findings;
};
