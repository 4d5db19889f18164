// `tiered-migrate sql "<SQL>"` (alias `query`): one statement on the configured
// database, its rows printed as a table (or JSON).
import { MigrateError, DatabaseError } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { lineColumnAtCharPosition } from '../../core/position.js';
import { errorReport } from '../../run/result.js';
import { runStatement } from '../../dev/query.js';
import type { ErrorReport } from '../../run/events.js';
import { jsonReplacer, renderTable } from '../reporters/table.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';

const USAGE = `Usage: ${PROGRAM} sql "<SQL>" [options]      (alias: ${PROGRAM} query)

Runs the statement on the configured database and prints its rows as a table. A
script of several statements runs as one (the last result is printed). The
statement is yours: it may write (INSERT, UPDATE, DROP…) and nothing asks first.

Database: MIGRATE_DATABASE_URL, else DATABASE_URL, else the embedded database in
<root>/.pglite, which must exist already (run migrate first): sql never creates one.
While \`${PROGRAM} dev\` serves the embedded database, query it through the DATABASE_URL
dev printed.

Options:
${PROJECT_FLAGS_USAGE}
  --json             print the rows as one JSON array of objects
  -h, --help         show this help

Exit codes: 0 success · 1 the statement failed · 2 usage or configuration error (no
embedded database, cannot connect)`;

export async function sqlCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env });
  const { style } = output;
  let sql = '';
  try {
    const { values, positionals } = parseCommandArgs(argv, { ...PROJECT_FLAGS, json: { type: 'boolean' } }, 'sql');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    if (positionals.length !== 1 || positionals[0]!.trim() === '') {
      throw new MigrateError('USAGE', positionals.length > 1 ? 'sql takes one argument: quote the statement' : 'sql needs a statement', { hint: `${PROGRAM} sql "select * from \\"user\\" limit 5"` });
    }
    sql = positionals[0]!;
    const config = resolveConfig(projectOptionsOf(values, env), CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    const result = await runStatement(config.target, sql);
    if (json) {
      const objects = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
      output.raw(`${JSON.stringify(objects, jsonReplacer, 2)}\n`);
    } else if (result.columns.length > 0) {
      for (const line of renderTable(result.columns, result.rows)) output.out(line);
      output.out(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
    } else {
      output.out(`${result.command ?? 'OK'}${result.rowCount !== null ? ` ${result.rowCount}` : ''}`);
    }
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    printError(output.err, style, error instanceof DatabaseError ? statementError(error, sql) : errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

/** A failed statement, located in the statement's text (no file: the argument is the source). */
function statementError(error: DatabaseError, sql: string): ErrorReport {
  const at = error.pg.position !== null ? lineColumnAtCharPosition(sql, error.pg.position) : null;
  return {
    code: error.code,
    message: error.message,
    file: null,
    line: at?.line ?? null,
    column: at?.column ?? null,
    sqlstate: error.pg.sqlstate,
    detail: error.pg.detail,
    hint: error.pg.hint,
    sourceLine: at?.text ?? null,
  };
}
