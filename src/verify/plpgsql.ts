// What a `DO $$ … $$` block runs at migration time: its static SQL statements, each
// with the guards around it (an `IF NOT EXISTS (…)` test, an EXCEPTION clause).
// Read from libpg_query's PL/pgSQL parse tree; the conditions themselves are parsed
// by the SQL parser (through `parseCondition`), never matched as text. Pure.
import type { Node } from 'libpg-query';
import { as, strings, walk } from './ast.js';

/** The guards around a statement inside a DO block. */
export interface DoContext {
  /** Runs under an `IF` that tests for existence (`[NOT] EXISTS (…)`), in either branch: the author checked first. */
  existenceGuard: boolean;
  /** …and that test reads `information_schema.columns` or `pg_attribute` (the documented ADD COLUMN pattern). */
  columnGuard: boolean;
  /** Condition names caught by the EXCEPTION clauses of enclosing blocks (lower case; `others` catches all). */
  handled: ReadonlySet<string>;
}

export interface NestedSql {
  /** The statement's text exactly as written in the body. */
  query: string;
  /** 1-based line within the body (line 1 is the rest of the line holding the opening `$$`). */
  lineno: number;
  context: DoContext;
}

export interface DoBody {
  statements: NestedSql[];
  /** `COMMIT` / `ROLLBACK` inside the block (line within the body). */
  transactionControl: { lineno: number; command: 'COMMIT' | 'ROLLBACK' }[];
}

const TOP: DoContext = { existenceGuard: false, columnGuard: false, handled: new Set() };

interface ExistenceTest {
  /** Under an odd number of NOTs: `NOT EXISTS (…)`. */
  negated: boolean;
  /** The subquery reads the column catalog. */
  columns: boolean;
}

/** EXISTS subqueries in a condition, with their polarity. */
export function existenceTests(expr: Node | undefined): ExistenceTest[] {
  const tests: ExistenceTest[] = [];
  const visit = (node: Node | undefined, negated: boolean): void => {
    if (!node) return;
    const bool = as(node, 'BoolExpr');
    if (bool) {
      for (const arg of bool.args ?? []) visit(arg, bool.boolop === 'NOT_EXPR' ? !negated : negated);
      return;
    }
    const sub = as(node, 'SubLink');
    if (sub?.subLinkType === 'EXISTS_SUBLINK') tests.push({ negated, columns: readsColumnCatalog(sub.subselect) });
  };
  visit(expr, false);
  return tests;
}

function readsColumnCatalog(subselect: Node | undefined): boolean {
  let found = false;
  walk(subselect, (kind, payload) => {
    if (kind !== 'RangeVar') return;
    const schema = payload.schemaname as string | undefined;
    const name = payload.relname as string | undefined;
    if ((name === 'columns' && schema === 'information_schema') || (name === 'pg_attribute' && (schema === undefined || schema === 'pg_catalog'))) {
      found = true;
    }
  });
  return found;
}

type ParseCondition = (condition: string) => Node | undefined;

function guardFor(tests: ExistenceTest[], branch: 'then' | 'else', parent: DoContext): DoContext {
  if (tests.length === 0) return parent;
  // The documented ADD COLUMN pattern runs in the branch where the column is absent.
  const absent = tests.filter((t) => t.negated === (branch === 'then'));
  return {
    existenceGuard: true,
    columnGuard: parent.columnGuard || absent.some((t) => t.columns),
    handled: parent.handled,
  };
}

/** Reads a PL/pgSQL parse tree (`parsePlPgSQLSync` of one DO statement). */
export function readDoBody(tree: unknown, parseCondition: ParseCondition): DoBody {
  const body: DoBody = { statements: [], transactionControl: [] };
  const conditionOf = (expr: unknown): Node | undefined => {
    const query = (expr as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
    return query === undefined ? undefined : parseCondition(query);
  };

  const visit = (value: unknown, ctx: DoContext): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, ctx);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const payload = record[key] as Record<string, unknown> | undefined;
      if (payload === null || typeof payload !== 'object') continue;
      switch (key) {
        case 'datums':
          break; // variable declarations: nothing runs
        case 'PLpgSQL_stmt_execsql': {
          const query = (payload.sqlstmt as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
          if (query !== undefined) body.statements.push({ query, lineno: (payload.lineno as number | undefined) ?? 1, context: ctx });
          break;
        }
        case 'PLpgSQL_stmt_commit':
        case 'PLpgSQL_stmt_rollback':
          body.transactionControl.push({
            lineno: (payload.lineno as number | undefined) ?? 1,
            command: key === 'PLpgSQL_stmt_commit' ? 'COMMIT' : 'ROLLBACK',
          });
          break;
        case 'PLpgSQL_stmt_if': {
          const tests = existenceTests(conditionOf(payload.cond));
          visit(payload.then_body, guardFor(tests, 'then', ctx));
          for (const elsif of (payload.elsif_list as unknown[] | undefined) ?? []) {
            const e = (elsif as { PLpgSQL_if_elsif?: { cond?: unknown; stmts?: unknown } }).PLpgSQL_if_elsif;
            visit(e?.stmts, guardFor(existenceTests(conditionOf(e?.cond)), 'then', ctx));
          }
          visit(payload.else_body, guardFor(tests, 'else', ctx));
          break;
        }
        case 'PLpgSQL_stmt_block': {
          const handlers = ((payload.exceptions as { PLpgSQL_exception_block?: { exc_list?: unknown[] } } | undefined)?.PLpgSQL_exception_block?.exc_list ?? []) as {
            PLpgSQL_exception?: { conditions?: { PLpgSQL_condition?: { condname?: string } }[]; action?: unknown };
          }[];
          const caught = handlers.flatMap((h) => (h.PLpgSQL_exception?.conditions ?? []).map((c) => (c.PLpgSQL_condition?.condname ?? '').toLowerCase()));
          const inner: DoContext = caught.length === 0 ? ctx : { ...ctx, handled: new Set([...ctx.handled, ...caught]) };
          visit(payload.body, inner);
          // A handler's own statements are not protected by it.
          for (const h of handlers) visit(h.PLpgSQL_exception?.action, ctx);
          break;
        }
        default:
          visit(payload, ctx);
      }
    }
  };
  visit(tree, TOP);
  return body;
}

/** Conditions are expressions; the SQL parser reads them as the target of a SELECT. */
export function conditionParser(parseSync: (sql: string) => { stmts?: { stmt?: Node }[] }): ParseCondition {
  return (condition) => {
    try {
      const select = as(parseSync(`SELECT ${condition}`).stmts?.[0]?.stmt, 'SelectStmt');
      return as(select?.targetList?.[0], 'ResTarget')?.val;
    } catch {
      return undefined; // not a plain expression (e.g. a cursor test): no guard to read
    }
  };
}

/** The language a DO block is written in (`plpgsql` unless it says otherwise). */
export function doLanguage(args: readonly Node[] | undefined): string {
  for (const arg of args ?? []) {
    const def = as(arg, 'DefElem');
    if (def?.defname === 'language') return (strings(def.arg ? [def.arg] : [])[0] ?? 'plpgsql').toLowerCase();
  }
  return 'plpgsql';
}
