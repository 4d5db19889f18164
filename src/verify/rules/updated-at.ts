// updated-at: a table with "updatedAt" has a BEFORE UPDATE … FOR EACH ROW trigger
// calling set_updated_at(), created in any migration; without one the column keeps
// its insert time forever.
import { atStatement, type SetupRule } from '../finding.js';
import type { RawFinding } from '../types.js';
import { display } from '../ast.js';

export const updatedAtRule: SetupRule = (setup) => {
  const findings: RawFinding[] = [];
  for (const table of setup.corpus.tables.values()) {
    const column = table.columns.get('updatedAt');
    if (!table.created || !column) continue;
    const ok = [...table.triggers.values()].some((t) => t.before && t.onUpdate && t.forEachRow && t.functionName === 'set_updated_at');
    if (ok) continue;
    const name = display(table.name);
    const trigger = `${table.name.name}_set_updated_at`;
    findings.push(
      atStatement(
        'updated-at',
        column.stmt,
        column.def.location,
        `${name} has "updatedAt" but no BEFORE UPDATE trigger calling set_updated_at(): the column keeps its insert time`,
        `DROP TRIGGER IF EXISTS ${trigger} ON ${name}; CREATE TRIGGER ${trigger} BEFORE UPDATE ON ${name} FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();`,
      ),
    );
  }
  return findings;
};
