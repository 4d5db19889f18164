// standard-fields: every table the migrations create has `id`, `"createdAt"` and
// `"updatedAt"` (both TIMESTAMPTZ NOT NULL DEFAULT now()), and no column of such a
// table is a TIMESTAMP without time zone. Columns added by later migrations count.
import type { ColumnDef, Node } from 'libpg-query';
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { ColumnInfo } from '../corpus.js';
import { as, display, strings, typeName } from '../ast.js';

const TIMESTAMP_COLUMNS = ['createdAt', 'updatedAt'] as const;
/** Defaults equal to now(): the transaction's start time. */
const NOW_FUNCTIONS = new Set(['now', 'transaction_timestamp']);

function isNotNull(def: ColumnDef): boolean {
  if (def.is_not_null) return true;
  return (def.constraints ?? []).some((c) => {
    const type = as(c, 'Constraint')?.contype;
    return type === 'CONSTR_NOTNULL' || type === 'CONSTR_PRIMARY';
  });
}

function defaultOf(def: ColumnDef): Node | undefined {
  if (def.raw_default) return def.raw_default;
  for (const c of def.constraints ?? []) {
    const constraint = as(c, 'Constraint');
    if (constraint?.contype === 'CONSTR_DEFAULT') return constraint.raw_expr;
  }
  return undefined;
}

function isNow(expr: Node | undefined): boolean {
  const cast = as(expr, 'TypeCast');
  if (cast) return isNow(cast.arg);
  const call = as(expr, 'FuncCall');
  if (call) {
    const name = strings(call.funcname);
    return (call.args ?? []).length === 0 && NOW_FUNCTIONS.has(name[name.length - 1] ?? '') && (name.length === 1 || name[0] === 'pg_catalog');
  }
  const op = as(expr, 'SQLValueFunction')?.op;
  return op === 'SVFOP_CURRENT_TIMESTAMP' || op === 'SVFOP_CURRENT_TIMESTAMP_N';
}

/** TIMESTAMP without time zone, arrays included. */
function isTimestampWithoutZone(def: ColumnDef): boolean {
  return typeName(def.typeName) === 'timestamp';
}

function standardTimestampProblems(column: ColumnInfo): string[] {
  const problems: string[] = [];
  const def = column.def;
  const type = typeName(def.typeName);
  if (type !== 'timestamptz' || (def.typeName?.arrayBounds ?? []).length > 0) problems.push(`its type is ${type === 'timestamp' ? 'TIMESTAMP without time zone' : type.toUpperCase() || 'unknown'}`);
  if (!isNotNull(def)) problems.push('it may be NULL');
  if (!isNow(defaultOf(def))) problems.push('its default is not now()');
  return problems;
}

export const standardFieldsRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  for (const table of setup.corpus.tables.values()) {
    const created = table.created;
    if (!created || created.kind !== 'CreateStmt' || !table.columnsKnown) continue;
    const name = display(table.name);
    const missing = ['id', ...TIMESTAMP_COLUMNS].filter((c) => !table.columns.has(c));
    if (missing.length > 0) {
      const shown = missing.map((c) => (c === 'id' ? 'id' : `"${c}"`)).join(', ');
      findings.push(
        atStatement(
          'standard-fields',
          created,
          undefined,
          `table ${name} has no ${shown} column${missing.length > 1 ? 's' : ''} (standard fields: id, "createdAt", "updatedAt")`,
          `Add ${missing
            .map((c) => (c === 'id' ? 'id TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text' : `"${c}" TIMESTAMPTZ NOT NULL DEFAULT now()`))
            .join(', ')}.`,
        ),
      );
    }
    for (const column of table.columns.values()) {
      const standard = (TIMESTAMP_COLUMNS as readonly string[]).includes(column.name);
      if (standard) {
        const problems = standardTimestampProblems(column);
        if (problems.length > 0) {
          findings.push(
            atStatement('standard-fields', column.stmt, column.def.location, `${name}."${column.name}" should be TIMESTAMPTZ NOT NULL DEFAULT now(): ${problems.join(', ')}`, `Declare it "${column.name}" TIMESTAMPTZ NOT NULL DEFAULT now().`),
          );
        }
      } else if (isTimestampWithoutZone(column.def)) {
        findings.push(
          atStatement(
            'standard-fields',
            column.stmt,
            column.def.typeName?.location ?? column.def.location,
            `${name}."${column.name}" is TIMESTAMP without time zone: its values change meaning with the server's time zone`,
            'Use TIMESTAMPTZ (TIMESTAMP WITH TIME ZONE).',
          ),
        );
      }
    }
  }
  return findings;
};
