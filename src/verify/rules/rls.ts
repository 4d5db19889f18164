// rls: every table the migrations create gets ENABLE ROW LEVEL SECURITY in some
// migration (any file, any tier); a table with RLS on has at least one policy
// (otherwise nobody but its owner sees a row); and a policy only calls functions
// a migration defines or PostgreSQL provides (CREATE POLICY fails otherwise).
import type { Node } from 'libpg-query';
import { atStatement, type SetupContext, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import type { Statement } from '../parse.js';
import { as, display, relationName, strings, walk } from '../ast.js';
import { BUILTIN_FUNCTIONS, EXTENSION_FUNCTIONS } from '../builtins/functions.js';

export const rlsRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  for (const table of setup.corpus.tables.values()) {
    const name = display(table.name);
    if (table.created && !table.rlsEnabled) {
      const disabled = table.rlsDisabled ? ` (${table.rlsDisabled.file.file.path}:${table.rlsDisabled.position.line} disables it)` : '';
      findings.push(
        atStatement(
          'rls',
          table.created,
          undefined,
          `table ${name} is created here but no migration enables row level security on it${disabled}`,
          `Add ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY; and policies for the roles that use it (in this or a later migration).`,
        ),
      );
    }
    if (table.rlsEnabled && table.policies.size === 0) {
      findings.push(
        atStatement(
          'rls',
          table.rlsEnabled,
          undefined,
          `row level security is enabled on ${name} but no migration creates a policy for it: every role but the owner sees no rows`,
          `Add policies (DROP POLICY IF EXISTS …; CREATE POLICY … ON ${name} …) for each role and command that needs access.`,
        ),
      );
    }
  }
  findings.push(...unknownPolicyFunctions(setup));
  return findings;
};

/** Resolves function names the way a policy expression would, without a database. */
function functionResolver(setup: SetupContext): (parts: string[]) => boolean | null {
  const { functions, extensions } = setup.corpus;
  const fromExtensions = new Set<string>();
  let unknownExtension = false;
  for (const ext of extensions) {
    const names = EXTENSION_FUNCTIONS[ext];
    if (names) for (const n of names) fromExtensions.add(n);
    else if (ext !== 'plpgsql') unknownExtension = true;
  }
  return (parts) => {
    const name = parts[parts.length - 1] ?? '';
    const schema = parts.length >= 2 ? parts[parts.length - 2]! : null;
    if (schema === null || schema === 'pg_catalog') {
      if (BUILTIN_FUNCTIONS.has(name)) return true;
      if (schema === 'pg_catalog') return false;
    }
    if (functions.has(`${schema ?? 'public'}.${name}`)) return true;
    if (fromExtensions.has(name)) return true;
    // An extension this check knows nothing about may provide it: say nothing.
    return unknownExtension ? null : false;
  };
}

function unknownPolicyFunctions(setup: SetupContext): RawFinding[] {
  const resolve = functionResolver(setup);
  const findings: RawFinding[] = [];
  const check = (stmt: Statement, policy: string, table: string, expressions: (Node | undefined)[]) => {
    for (const expr of expressions) {
      walk(expr, (kind, payload) => {
        if (kind !== 'FuncCall') return;
        const parts = strings(payload.funcname as Node[] | undefined);
        if (resolve(parts) !== false) return;
        findings.push(
          atStatement(
            'rls',
            stmt,
            payload.location as number | undefined,
            `policy "${policy}" on ${table} calls ${parts.join('.')}(), which no migration defines and PostgreSQL does not provide`,
            'Define it (CREATE OR REPLACE FUNCTION) in a migration that runs before this one, or fix the name.',
          ),
        );
      });
    }
  };
  for (const file of setup.files) {
    for (const stmt of file.statements) {
      const create = as(stmt.node, 'CreatePolicyStmt');
      const alter = as(stmt.node, 'AlterPolicyStmt');
      const policy = create ?? alter;
      if (!policy) continue;
      const table = relationName(policy.table);
      check(stmt, policy.policy_name ?? '', table ? display(table) : '', [policy.qual, policy.with_check]);
    }
  }
  return findings;
}
