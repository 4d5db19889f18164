// The relations a file creates (tables, views, materialized views), in statement
// order. Shared by the rules that reason about which file creates what. Pure.
import type { ParsedFile, Statement } from '../parse.js';
import { as, relationName, type QualifiedName } from '../ast.js';

export interface CreatedRelation {
  name: QualifiedName;
  stmt: Statement;
  /** CREATE TABLE IF NOT EXISTS (or CREATE … AS … IF NOT EXISTS). */
  ifNotExists: boolean;
  /** A table (not a view). */
  table: boolean;
}

/** CREATE TABLE / CREATE TABLE AS / CREATE VIEW / CREATE MATERIALIZED VIEW of `file`; temporary tables left out. */
export function createdRelations(file: ParsedFile): CreatedRelation[] {
  const out: CreatedRelation[] = [];
  for (const stmt of file.statements) {
    const create = as(stmt.node, 'CreateStmt');
    if (create) {
      const name = relationName(create.relation);
      if (name && create.relation?.relpersistence !== 't') out.push({ name, stmt, ifNotExists: create.if_not_exists === true, table: true });
      continue;
    }
    const ctas = as(stmt.node, 'CreateTableAsStmt');
    if (ctas) {
      const name = relationName(ctas.into?.rel);
      if (name && ctas.into?.rel?.relpersistence !== 't') out.push({ name, stmt, ifNotExists: ctas.if_not_exists === true, table: ctas.objtype === 'OBJECT_TABLE' });
      continue;
    }
    const view = as(stmt.node, 'ViewStmt');
    if (view) {
      const name = relationName(view.view);
      if (name) out.push({ name, stmt, ifNotExists: false, table: false });
    }
  }
  return out;
}
