// idempotent: every statement may run again on a database that already has its
// effect (an adopted database, a retried deploy). Read from the parse tree: the
// `if_not_exists`, `replace` and `missing_ok` flags, and for triggers and policies
// a DROP … IF EXISTS of the same object earlier in the file. Statements inside a
// DO block count as guarded when an IF tests for existence around them or an
// EXCEPTION clause catches the duplicate.
import type { Node } from 'libpg-query';
import { atStatement, type FileRule } from '../finding.js';
import type { Statement } from '../parse.js';
import type { RawFinding } from '../types.js';
import { as, display, keyOf, qualified, relationName, strings } from '../ast.js';
import { isNoTransaction } from '../../sql/directives.js';

/** Guarded inside a DO block by an existence test, or by a handler for one of `conditions`. */
function guarded(stmt: Statement, conditions: readonly string[]): boolean {
  const ctx = stmt.inDo;
  if (!ctx) return false;
  return ctx.existenceGuard || ctx.handled.has('others') || conditions.some((c) => ctx.handled.has(c));
}

const OBJECT_WORDS: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_POLICY: 'POLICY',
  OBJECT_TYPE: 'TYPE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_ROLE: 'ROLE',
};

/** `"table"\0name` for triggers and policies. */
const onTableKey = (table: string, name: string) => `${table}\u0000${name}`;

export const idempotentRule: FileRule = (file) => {
  const findings: RawFinding[] = [];
  const droppedTriggers = new Set<string>();
  const droppedPolicies = new Set<string>();
  // A no-transaction file that fails keeps its earlier statements and is re-run from
  // its first one: there, re-runnable is not a courtesy but what makes the re-run work.
  const why = isNoTransaction(file.file.content) ? ' (in a -- migrate:no-transaction file, which is re-run from its first statement after a failure)' : '';
  const report = (stmt: Statement, location: number | undefined, message: string, fix: string) =>
    findings.push(atStatement('idempotent', stmt, location, `${message}${why}`, fix));
  const missingIfNotExists = (stmt: Statement, what: string, name: string, conditions: string[]) => {
    if (!guarded(stmt, conditions)) {
      report(stmt, undefined, `CREATE ${what} ${name} without IF NOT EXISTS: fails when the ${what.toLowerCase()} already exists`, `Write CREATE ${what} IF NOT EXISTS ${name}.`);
    }
  };

  for (const stmt of file.statements) {
    const node = stmt.node;
    switch (stmt.kind) {
      case 'CreateStmt': {
        const create = as(node, 'CreateStmt')!;
        const name = relationName(create.relation);
        if (!create.if_not_exists && name && create.relation?.relpersistence !== 't') missingIfNotExists(stmt, 'TABLE', display(name), ['duplicate_table']);
        break;
      }
      case 'IndexStmt': {
        const index = as(node, 'IndexStmt')!;
        const table = relationName(index.relation);
        if (!index.idxname) {
          if (!guarded(stmt, ['duplicate_table'])) {
            report(stmt, undefined, `unnamed index on ${table ? display(table) : 'a table'}: every run adds one more copy`, 'Name the index and write CREATE INDEX IF NOT EXISTS idx_<table>_<column> ON ….');
          }
        } else if (!index.if_not_exists) missingIfNotExists(stmt, index.unique ? 'UNIQUE INDEX' : 'INDEX', index.idxname, ['duplicate_table']);
        break;
      }
      case 'CreateSeqStmt': {
        const seq = as(node, 'CreateSeqStmt')!;
        const name = relationName(seq.sequence);
        if (!seq.if_not_exists && name) missingIfNotExists(stmt, 'SEQUENCE', display(name), ['duplicate_table']);
        break;
      }
      case 'CreateSchemaStmt': {
        const schema = as(node, 'CreateSchemaStmt')!;
        if (!schema.if_not_exists) missingIfNotExists(stmt, 'SCHEMA', schema.schemaname ?? '', ['duplicate_schema']);
        break;
      }
      case 'CreateExtensionStmt': {
        const ext = as(node, 'CreateExtensionStmt')!;
        if (!ext.if_not_exists) missingIfNotExists(stmt, 'EXTENSION', `"${ext.extname ?? ''}"`, ['duplicate_object']);
        break;
      }
      case 'CreateTableAsStmt': {
        const ctas = as(node, 'CreateTableAsStmt')!;
        const name = relationName(ctas.into?.rel);
        const what = ctas.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE';
        if (!ctas.if_not_exists && name) missingIfNotExists(stmt, what, display(name), ['duplicate_table']);
        break;
      }
      case 'CreateFunctionStmt': {
        const fn = as(node, 'CreateFunctionStmt')!;
        const what = fn.is_procedure ? 'PROCEDURE' : 'FUNCTION';
        const name = strings(fn.funcname).join('.');
        if (!fn.replace && !guarded(stmt, ['duplicate_function'])) {
          report(stmt, undefined, `CREATE ${what} ${name} without OR REPLACE: fails when the ${what.toLowerCase()} already exists`, `Write CREATE OR REPLACE ${what} ${name}.`);
        }
        break;
      }
      case 'ViewStmt': {
        const view = as(node, 'ViewStmt')!;
        const name = relationName(view.view);
        if (!view.replace && name && !guarded(stmt, ['duplicate_table'])) {
          report(stmt, undefined, `CREATE VIEW ${display(name)} without OR REPLACE: fails when the view already exists`, `Write CREATE OR REPLACE VIEW ${display(name)}.`);
        }
        break;
      }
      case 'CreateTrigStmt': {
        const trig = as(node, 'CreateTrigStmt')!;
        const table = relationName(trig.relation);
        if (!table || !trig.trigname) break;
        if (!trig.replace && !droppedTriggers.has(onTableKey(keyOf(table), trig.trigname)) && !guarded(stmt, ['duplicate_object'])) {
          report(
            stmt,
            undefined,
            `CREATE TRIGGER ${trig.trigname} is not preceded by DROP TRIGGER IF EXISTS ${trig.trigname} ON ${display(table)}: fails when the trigger exists`,
            `Add DROP TRIGGER IF EXISTS ${trig.trigname} ON ${display(table)}; right before it (or write CREATE OR REPLACE TRIGGER).`,
          );
        }
        break;
      }
      case 'CreatePolicyStmt': {
        const policy = as(node, 'CreatePolicyStmt')!;
        const table = relationName(policy.table);
        if (!table || !policy.policy_name) break;
        if (!droppedPolicies.has(onTableKey(keyOf(table), policy.policy_name)) && !guarded(stmt, ['duplicate_object'])) {
          report(
            stmt,
            undefined,
            `CREATE POLICY "${policy.policy_name}" is not preceded by DROP POLICY IF EXISTS "${policy.policy_name}" ON ${display(table)}: fails when the policy exists`,
            `Add DROP POLICY IF EXISTS "${policy.policy_name}" ON ${display(table)}; right before it.`,
          );
        }
        break;
      }
      case 'CreateEnumStmt':
      case 'CompositeTypeStmt':
      case 'CreateRangeStmt':
      case 'CreateDomainStmt':
      case 'CreateRoleStmt': {
        if (guarded(stmt, ['duplicate_object'])) break;
        const what = stmt.kind === 'CreateDomainStmt' ? 'DOMAIN' : stmt.kind === 'CreateRoleStmt' ? 'ROLE' : 'TYPE';
        report(
          stmt,
          undefined,
          `CREATE ${what} has no IF NOT EXISTS form: fails when the ${what.toLowerCase()} already exists`,
          `Create it inside DO $$ BEGIN CREATE ${what} …; EXCEPTION WHEN duplicate_object THEN NULL; END $$;`,
        );
        break;
      }
      case 'AlterTableStmt':
        alterTable(stmt, report);
        break;
      case 'DropStmt': {
        const drop = as(node, 'DropStmt')!;
        const what = OBJECT_WORDS[drop.removeType ?? ''] ?? (drop.removeType ?? 'OBJECT').replace(/^OBJECT_/, '');
        if (drop.missing_ok) {
          for (const object of drop.objects ?? []) {
            const target = tableAndName(object);
            if (!target) continue;
            if (drop.removeType === 'OBJECT_TRIGGER') droppedTriggers.add(onTableKey(target.table, target.name));
            if (drop.removeType === 'OBJECT_POLICY') droppedPolicies.add(onTableKey(target.table, target.name));
          }
        } else if (!guarded(stmt, ['undefined_table', 'undefined_object', 'undefined_function'])) {
          report(stmt, undefined, `DROP ${what} without IF EXISTS: fails when it is already gone`, `Write DROP ${what} IF EXISTS ….`);
        }
        break;
      }
      case 'DropRoleStmt':
      case 'DropdbStmt':
      case 'DropTableSpaceStmt':
      case 'DropSubscriptionStmt':
      case 'DropUserMappingStmt': {
        const payload = (node as Record<string, { missing_ok?: boolean }>)[stmt.kind];
        if (!payload?.missing_ok && !guarded(stmt, ['undefined_object'])) {
          const what = { DropRoleStmt: 'ROLE', DropdbStmt: 'DATABASE', DropTableSpaceStmt: 'TABLESPACE', DropSubscriptionStmt: 'SUBSCRIPTION', DropUserMappingStmt: 'USER MAPPING' }[stmt.kind];
          report(stmt, undefined, `DROP ${what} without IF EXISTS: fails when it is already gone`, `Write DROP ${what} IF EXISTS ….`);
        }
        break;
      }
    }
  }
  return findings;
};

/** `[schema?, table, name]` of a DROP TRIGGER / DROP POLICY object. */
function tableAndName(object: Node): { table: string; name: string } | null {
  const parts = strings(as(object, 'List')?.items);
  const table = qualified(parts.slice(0, -1));
  if (!table || parts.length < 2) return null;
  return { table: keyOf(table), name: parts[parts.length - 1]! };
}

function alterTable(stmt: Statement, report: (stmt: Statement, location: number | undefined, message: string, fix: string) => void): void {
  const alter = as(stmt.node, 'AlterTableStmt')!;
  const table = relationName(alter.relation);
  const shown = table ? display(table) : 'the table';
  for (const c of alter.cmds ?? []) {
    const cmd = as(c, 'AlterTableCmd');
    if (!cmd || cmd.missing_ok) continue;
    if (cmd.subtype === 'AT_AddColumn') {
      const def = as(cmd.def, 'ColumnDef');
      // Only the documented pattern (or a handler for duplicate_column) makes ADD COLUMN safe in a DO block.
      const ctx = stmt.inDo;
      if (ctx && (ctx.columnGuard || ctx.handled.has('duplicate_column') || ctx.handled.has('others'))) continue;
      const column = def?.colname ?? '';
      report(
        stmt,
        def?.location,
        `ALTER TABLE ${shown} ADD COLUMN "${column}" without IF NOT EXISTS: fails when the column exists`,
        `Write ADD COLUMN IF NOT EXISTS "${column}", or use the documented DO $$ … IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE …) THEN ALTER TABLE … END IF; … $$ pattern.`,
      );
    } else if (cmd.subtype === 'AT_DropColumn' || cmd.subtype === 'AT_DropConstraint') {
      if (guarded(stmt, ['undefined_column', 'undefined_object'])) continue;
      const what = cmd.subtype === 'AT_DropColumn' ? 'COLUMN' : 'CONSTRAINT';
      report(stmt, undefined, `ALTER TABLE ${shown} DROP ${what} "${cmd.name ?? ''}" without IF EXISTS: fails when it is already gone`, `Write DROP ${what} IF EXISTS "${cmd.name ?? ''}".`);
    }
  }
}
