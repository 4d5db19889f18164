// The schema the migrations build, across every file and tier of one setup, read
// once in execution order: tables with their columns, indexes, foreign keys,
// policies, triggers and RLS state, plus the functions and extensions created.
// Corpus-wide rules (an index in a later file, RLS enabled in another tier) read
// this instead of one file at a time. Pure.
import type { ColumnDef, Constraint, CreateStmt, DropStmt, Node, RenameStmt } from 'libpg-query';
import type { Statement, ParsedFile } from './parse.js';
import { as, keyOf, qualified, relationName, strings, type QualifiedName } from './ast.js';

export interface ColumnInfo {
  name: string;
  def: ColumnDef;
  stmt: Statement;
}

export interface IndexInfo {
  /** Index name, or the constraint name for PRIMARY KEY / UNIQUE. */
  name: string;
  /** Indexed columns in order; null for an expression. */
  columns: (string | null)[];
  partial: boolean;
  /** Made by a PRIMARY KEY or UNIQUE constraint (dropped with the constraint, not by DROP INDEX). */
  constraint: boolean;
}

export interface ForeignKeyInfo {
  /** Constraint name (PostgreSQL's default when none was given). */
  name: string;
  columns: string[];
  parent: QualifiedName;
  /** libpg_query's action code: a no action (the default), r restrict, c cascade, n set null, d set default. */
  onDelete: string;
  stmt: Statement;
  /** Parse-tree location of the constraint (its REFERENCES or CONSTRAINT keyword). */
  location: number | undefined;
}

export interface TriggerInfo {
  name: string;
  stmt: Statement;
  before: boolean;
  onUpdate: boolean;
  forEachRow: boolean;
  /** The trigger function's name, without schema. */
  functionName: string;
}

export interface TableInfo {
  name: QualifiedName;
  /** The CREATE TABLE that made it, or null for a table the migrations only alter. */
  created: Statement | null;
  /** Whether the column list is known (false for CREATE TABLE … AS, LIKE, OF, PARTITION OF). */
  columnsKnown: boolean;
  columns: Map<string, ColumnInfo>;
  /** The statement that enabled RLS, when it is enabled at the end of the run. */
  rlsEnabled: Statement | null;
  /** The statement that disabled RLS last, if any. */
  rlsDisabled: Statement | null;
  policies: Map<string, Statement>;
  triggers: Map<string, TriggerInfo>;
  indexes: IndexInfo[];
  foreignKeys: ForeignKeyInfo[];
  /**
   * Every statement that decides who reaches its rows, in run order: its CREATE,
   * CREATE / ALTER / DROP POLICY, GRANT / REVOKE (ON ALL TABLES IN SCHEMA too), and
   * ENABLE / DISABLE / FORCE / NO FORCE ROW LEVEL SECURITY. The isolation check
   * attributes a widened access to these (and reads their directives).
   */
  access: Statement[];
}

export interface Corpus {
  /** Tables as they stand after every file ran, keyed `schema.name`. */
  tables: Map<string, TableInfo>;
  /** Functions created (`schema.name`, unqualified ones in public). */
  functions: Set<string>;
  /** Extensions created. */
  extensions: Set<string>;
}

const TIMING_BEFORE = 2;
const EVENT_UPDATE = 16;

/** Builds the corpus from files in execution order. */
export function buildCorpus(files: readonly ParsedFile[]): Corpus {
  const corpus: Corpus = { tables: new Map(), functions: new Set(), extensions: new Set() };
  for (const file of files) {
    for (const stmt of file.statements) apply(corpus, stmt);
  }
  return corpus;
}

function tableOf(corpus: Corpus, name: QualifiedName): TableInfo {
  const key = keyOf(name);
  let table = corpus.tables.get(key);
  if (!table) {
    table = {
      name,
      created: null,
      columnsKnown: false,
      columns: new Map(),
      rlsEnabled: null,
      rlsDisabled: null,
      policies: new Map(),
      triggers: new Map(),
      indexes: [],
      foreignKeys: [],
      access: [],
    };
    corpus.tables.set(key, table);
  }
  return table;
}

function apply(corpus: Corpus, stmt: Statement): void {
  const node = stmt.node;
  switch (stmt.kind) {
    case 'CreateStmt':
      return createTable(corpus, stmt, as(node, 'CreateStmt')!);
    case 'CreateTableAsStmt': {
      const ctas = as(node, 'CreateTableAsStmt')!;
      const name = relationName(ctas.into?.rel);
      if (ctas.objtype !== 'OBJECT_TABLE' || !name || ctas.into?.rel?.relpersistence === 't') return;
      const table = tableOf(corpus, name);
      if (!table.created) table.created = stmt;
      return;
    }
    case 'AlterTableStmt':
      return alterTable(corpus, stmt);
    case 'IndexStmt': {
      const index = as(node, 'IndexStmt')!;
      const name = relationName(index.relation);
      if (!name) return;
      const table = tableOf(corpus, name);
      const columns = (index.indexParams ?? []).map((p) => as(p, 'IndexElem')?.name ?? null);
      // PostgreSQL names an unnamed index after its table and columns.
      const idxname = index.idxname ?? `${name.name}_${columns.map((c) => c ?? 'expr').join('_')}_idx`;
      if (table.indexes.some((i) => i.name === idxname)) return; // IF NOT EXISTS: nothing happens
      table.indexes.push({
        name: idxname,
        columns,
        partial: index.whereClause !== undefined,
        constraint: false,
      });
      return;
    }
    case 'DropStmt':
      return drop(corpus, as(node, 'DropStmt')!, stmt);
    case 'RenameStmt':
      return rename(corpus, as(node, 'RenameStmt')!);
    case 'CreatePolicyStmt': {
      const policy = as(node, 'CreatePolicyStmt')!;
      const name = relationName(policy.table);
      if (!name) return;
      const table = tableOf(corpus, name);
      table.access.push(stmt);
      if (policy.policy_name) table.policies.set(policy.policy_name, stmt);
      return;
    }
    case 'AlterPolicyStmt': {
      const name = relationName(as(node, 'AlterPolicyStmt')!.table);
      // Only tables the corpus knows: a lookup must not invent one for the rules that list tables.
      if (name) corpus.tables.get(keyOf(name))?.access.push(stmt);
      return;
    }
    case 'GrantStmt':
      return grant(corpus, stmt);
    case 'CreateTrigStmt': {
      const trig = as(node, 'CreateTrigStmt')!;
      const name = relationName(trig.relation);
      if (!name || !trig.trigname) return;
      const func = strings(trig.funcname);
      tableOf(corpus, name).triggers.set(trig.trigname, {
        name: trig.trigname,
        stmt,
        before: ((trig.timing ?? 0) & TIMING_BEFORE) !== 0,
        onUpdate: ((trig.events ?? 0) & EVENT_UPDATE) !== 0,
        forEachRow: trig.row === true,
        functionName: func[func.length - 1] ?? '',
      });
      return;
    }
    case 'CreateFunctionStmt': {
      const name = qualified(strings(as(node, 'CreateFunctionStmt')!.funcname));
      if (name) corpus.functions.add(keyOf(name));
      return;
    }
    case 'CreateExtensionStmt': {
      const ext = as(node, 'CreateExtensionStmt')!.extname;
      if (ext) corpus.extensions.add(ext);
      return;
    }
  }
}

function createTable(corpus: Corpus, stmt: Statement, create: CreateStmt): void {
  const name = relationName(create.relation);
  if (!name || create.relation?.relpersistence === 't') return;
  const existing = corpus.tables.get(keyOf(name));
  // A second CREATE TABLE IF NOT EXISTS does nothing at run time; the first one stands.
  if (existing?.created) return;
  const table = tableOf(corpus, name);
  table.created = stmt;
  table.access.push(stmt);
  const elements = create.tableElts ?? [];
  table.columnsKnown = !create.partbound && !create.ofTypename && !elements.some((e) => as(e, 'TableLikeClause'));
  for (const element of elements) {
    const column = as(element, 'ColumnDef');
    if (column) addColumn(table, column, stmt);
    const constraint = as(element, 'Constraint');
    if (constraint) addConstraint(table, constraint, [], stmt);
  }
}

function addColumn(table: TableInfo, def: ColumnDef, stmt: Statement): void {
  if (!def.colname || table.columns.has(def.colname)) return;
  table.columns.set(def.colname, { name: def.colname, def, stmt });
  for (const c of def.constraints ?? []) {
    const constraint = as(c, 'Constraint');
    if (constraint) addConstraint(table, constraint, [def.colname], stmt);
  }
}

/** PRIMARY KEY and UNIQUE make an index; FOREIGN KEY a reference. `columns` for column constraints. */
function addConstraint(table: TableInfo, constraint: Constraint, columnConstraintOf: string[], stmt: Statement): void {
  const t = table.name.name;
  if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE') {
    const columns = columnConstraintOf.length > 0 ? columnConstraintOf : strings(constraint.keys);
    const fallback = constraint.contype === 'CONSTR_PRIMARY' ? `${t}_pkey` : `${t}_${columns.join('_')}_key`;
    table.indexes.push({ name: constraint.conname ?? fallback, columns, partial: false, constraint: true });
  } else if (constraint.contype === 'CONSTR_FOREIGN') {
    const parent = relationName(constraint.pktable);
    if (!parent) return;
    const columns = columnConstraintOf.length > 0 ? columnConstraintOf : strings(constraint.fk_attrs);
    table.foreignKeys.push({
      name: constraint.conname ?? `${t}_${columns.join('_')}_fkey`,
      columns,
      parent,
      onDelete: constraint.fk_del_action ?? 'a',
      stmt,
      location: constraint.location,
    });
  }
}

function alterTable(corpus: Corpus, stmt: Statement): void {
  const alter = as(stmt.node, 'AlterTableStmt')!;
  if (alter.objtype !== 'OBJECT_TABLE') return;
  const name = relationName(alter.relation);
  if (!name) return;
  const table = tableOf(corpus, name);
  for (const c of alter.cmds ?? []) {
    const cmd = as(c, 'AlterTableCmd');
    switch (cmd?.subtype) {
      case 'AT_AddColumn': {
        const def = as(cmd.def, 'ColumnDef');
        if (def) addColumn(table, def, stmt);
        break;
      }
      case 'AT_DropColumn':
        if (cmd.name) {
          const column = cmd.name;
          table.columns.delete(column);
          // PostgreSQL drops the indexes and constraints that use the column with it.
          table.indexes = table.indexes.filter((i) => !i.columns.includes(column));
          table.foreignKeys = table.foreignKeys.filter((f) => !f.columns.includes(column));
        }
        break;
      case 'AT_AddConstraint': {
        const constraint = as(cmd.def, 'Constraint');
        if (constraint) addConstraint(table, constraint, [], stmt);
        break;
      }
      case 'AT_DropConstraint':
        table.indexes = table.indexes.filter((i) => !(i.constraint && i.name === cmd.name));
        table.foreignKeys = table.foreignKeys.filter((f) => f.name !== cmd.name);
        break;
      case 'AT_EnableRowSecurity':
        table.rlsEnabled = stmt;
        break;
      case 'AT_DisableRowSecurity':
        table.rlsEnabled = null;
        table.rlsDisabled = stmt;
        break;
    }
    if (cmd?.subtype && RLS_SUBTYPES.has(cmd.subtype) && table.access[table.access.length - 1] !== stmt) table.access.push(stmt);
  }
}

const RLS_SUBTYPES = new Set(['AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity']);

/** GRANT / REVOKE on tables: each one named, or every table known in the schemas of ON ALL TABLES IN SCHEMA. */
function grant(corpus: Corpus, stmt: Statement): void {
  const g = as(stmt.node, 'GrantStmt')!;
  if (g.objtype !== 'OBJECT_TABLE') return;
  if (g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
    const schemas = new Set(strings(g.objects));
    for (const table of corpus.tables.values()) if (schemas.has(table.name.schema)) table.access.push(stmt);
    return;
  }
  for (const object of g.objects ?? []) {
    const name = relationName(as(object, 'RangeVar'));
    // Only tables the corpus knows (a view or a sequence is granted the same way).
    if (name) corpus.tables.get(keyOf(name))?.access.push(stmt);
  }
}

/** `[schema?, table, object]` of DROP POLICY / DROP TRIGGER. */
function onTable(object: Node): { table: QualifiedName; name: string } | null {
  const parts = strings(as(object, 'List')?.items);
  if (parts.length < 2) return null;
  const table = qualified(parts.slice(0, -1));
  return table ? { table, name: parts[parts.length - 1]! } : null;
}

function drop(corpus: Corpus, dropStmt: DropStmt, stmt: Statement): void {
  for (const object of dropStmt.objects ?? []) {
    switch (dropStmt.removeType) {
      case 'OBJECT_TABLE': {
        const name = qualified(strings(as(object, 'List')?.items));
        if (name) corpus.tables.delete(keyOf(name));
        break;
      }
      case 'OBJECT_INDEX': {
        const name = qualified(strings(as(object, 'List')?.items));
        if (!name) break;
        for (const table of corpus.tables.values()) {
          if (table.name.schema !== name.schema) continue;
          table.indexes = table.indexes.filter((i) => i.constraint || i.name !== name.name);
        }
        break;
      }
      case 'OBJECT_POLICY': {
        const target = onTable(object);
        const table = target ? corpus.tables.get(keyOf(target.table)) : undefined;
        if (!target || !table) break;
        table.policies.delete(target.name);
        table.access.push(stmt);
        break;
      }
      case 'OBJECT_TRIGGER': {
        const target = onTable(object);
        if (target) corpus.tables.get(keyOf(target.table))?.triggers.delete(target.name);
        break;
      }
    }
  }
}

function rename(corpus: Corpus, stmt: RenameStmt): void {
  const name = relationName(stmt.relation);
  if (!name || !stmt.newname) return;
  const table = corpus.tables.get(keyOf(name));
  if (!table) return;
  if (stmt.renameType === 'OBJECT_TABLE') {
    corpus.tables.delete(keyOf(name));
    table.name = { schema: name.schema, name: stmt.newname };
    corpus.tables.set(keyOf(table.name), table);
  } else if (stmt.renameType === 'OBJECT_COLUMN' && stmt.subname) {
    const column = table.columns.get(stmt.subname);
    if (!column) return;
    table.columns.delete(stmt.subname);
    table.columns.set(stmt.newname, { ...column, name: stmt.newname });
    const renameIn = (list: (string | null)[]) => list.map((c) => (c === stmt.subname ? stmt.newname! : c));
    for (const index of table.indexes) index.columns = renameIn(index.columns);
    for (const fk of table.foreignKeys) fk.columns = renameIn(fk.columns) as string[];
  }
}
