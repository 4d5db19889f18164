// `tiered-migrate verify` (npm run db:verify): static checks always; live checks
// when a database is configured. Exit 0 without errors, 1 with errors (or
// warnings under --strict), 2 on usage or configuration.
import { MigrateError, exitCodeFor } from '../../core/errors.js';
import { verifyResolved } from '../../api/verify.js';
import { resolveConfig } from '../../api/config.js';
import { VERIFY_SCHEMA_VERSION, jsonReport } from '../../verify/report.js';
import { packageVersion } from '../../discover/core-dir.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';
import { humanReport } from '../reporters/verify.js';

const USAGE = `Usage: ${PROGRAM} verify [options]   (npm run db:verify -- [options])

Checks every migration of the active theme and its plugins against the team's
checklist, with PostgreSQL's own parser; and, when a database is configured,
the database against the files (read-only).

Options:
${PROJECT_FLAGS_USAGE}
  --all              check every theme and plugin in contents/
  --json             print one JSON document: { ok, findings, summary, … }
  --strict           exit 1 on warnings too
  --verbose          also list findings silenced by -- verify:ignore, with their reasons
  --no-db            static checks only, even when a database is configured
  --fresh            apply every active migration to a new in-memory database (PGlite),
                     through the engine; the first failure is an error with its place
  --idempotency      with --fresh: run each file again right after it is applied; it
                     must neither fail nor change the catalog or any row count
  --isolation        with --fresh: prove as the app's roles (authenticated, anon) that no
                     user reads or writes another's rows; prints the matrix. With a database
                     that has pending files: also the matrix before and after them, each
                     access they widen an error naming the file
  --drift            compare the database's catalog with what the files build on a shadow
                     (+ only in the database, - only in the files, ~ different); exit 1 on drift
  --pending          rehearse the next migrate: replay what the database applied on a
                     shadow, then apply the pending files there; a failure is an error
  -h, --help         show this help

Live checks run when MIGRATE_DATABASE_URL, DIRECT_URL or DATABASE_URL is set (pglite:<dir>
for the embedded database); they never write to the database.

Silence a finding on purpose, on the line above the statement or in the header
(database checks too: fresh, idempotency, isolation, not-probed, db-rls, db-table):
  -- verify:ignore <rule> <reason>

Exit codes: 0 no errors · 1 errors (or warnings with --strict) · 2 usage or configuration error`;

export async function verifyCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env });
  try {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...PROJECT_FLAGS, all: { type: 'boolean' }, json: { type: 'boolean' }, strict: { type: 'boolean' }, verbose: { type: 'boolean' }, 'no-db': { type: 'boolean' }, fresh: { type: 'boolean' }, idempotency: { type: 'boolean' }, isolation: { type: 'boolean' }, drift: { type: 'boolean' }, pending: { type: 'boolean' } },
      'verify',
    );
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'verify');
    const options = { ...projectOptionsOf(values, env), all: values.all ?? false, strict: values.strict ?? false, noDatabase: values['no-db'] ?? false, fresh: values.fresh ?? false, idempotency: values.idempotency ?? false, isolation: values.isolation ?? false, drift: values.drift ?? false, pending: values.pending ?? false };
    const config = resolveConfig(options, CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    const report = await verifyResolved(config, options);
    if (json) output.raw(jsonReport(report, values.verbose ?? false));
    else if (report.error) printError(output.err, output.style, report.error);
    else for (const line of humanReport(report, output.style, values.verbose ?? false)) output.out(line);
    output.flush();
    if (report.error) return exitCodeFor(report.error.code);
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) output.raw(`${JSON.stringify({ version: packageVersion(), schemaVersion: VERIFY_SCHEMA_VERSION, ok: false, findings: [], summary: { errors: 0, warnings: 0, files: 0 }, error: { code: error.code, message: error.message, hint: error.hint } }, null, 2)}\n`);
    else printError(output.err, output.style, { code: error.code, message: error.message, file: error.file, line: error.line, column: error.column, sqlstate: null, hint: error.hint });
    output.flush();
    return error.exitCode;
  }
}
