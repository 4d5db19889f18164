// `tiered-migrate production [--mark | --unmark]` (npm run db:production): whether
// the database is marked as production, and marking or unmarking it.
import { createInterface } from 'node:readline/promises';
import { MigrateError } from '../../core/errors.js';
import { resolveConfig, secondsSetting } from '../../api/config.js';
import { readProductionMarker, setProductionMarker } from '../../api/production.js';
import { errorReport } from '../../run/result.js';
import { packageVersion } from '../../discover/core-dir.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';

const USAGE = `Usage: ${PROGRAM} production [--mark | --unmark] [options]   (npm run db:production -- [options])

Without --mark or --unmark: says whether the database is marked as a production database.
A production database never gets *sample_data* files (sample users, API keys), whatever
NODE_ENV says, unless migrate is given --sample-data. The marker is a row of the
_migrations_settings table beside the tracking tables; the first migrate run with
NODE_ENV=production sets it too.

Options:
${PROJECT_FLAGS_USAGE}
  --mark             mark the database as production
  --unmark           remove the marker (sample data runs again where NODE_ENV allows it)
  --yes              do it without asking (required when stdin is not a terminal)
  --json             print one JSON document on stdout
  --connect-timeout S  give up a connection attempt after S seconds (default 10)
  -h, --help         show this help

Exit codes: 0 done (or nothing to change) · 1 the change failed · 2 refused, not confirmed,
usage or configuration error (cannot connect, read-only database)`;

const FLAGS = {
  ...PROJECT_FLAGS,
  mark: { type: 'boolean' },
  unmark: { type: 'boolean' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
} as const;

export async function productionCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env });
  const { style } = output;
  const document = (fields: Record<string, unknown>) => output.raw(`${JSON.stringify({ ...fields, version: packageVersion() }, null, 2)}\n`);
  try {
    const { values, positionals } = parseCommandArgs(argv, FLAGS, 'production');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'production');
    if (values.mark && values.unmark) throw new MigrateError('USAGE', '--mark and --unmark contradict each other', { hint: 'Pass at most one of them.' });
    const config = resolveConfig(
      { ...projectOptionsOf(values, env), ...(values['connect-timeout'] !== undefined ? { connectTimeout: secondsSetting(values['connect-timeout'], '--connect-timeout') / 1000 } : {}) },
      CLI_OPTION_NAMES,
    );
    output.addSecrets(config.secrets);
    const current = await readProductionMarker(config);
    const shown = `${current.database} (from ${config.target.origin})`;
    if (!values.mark && !values.unmark) {
      if (json) document({ ok: true, database: current.database, production: current.production, setAt: current.setAt, setBy: current.setBy, changed: false, changes: [] });
      else if (current.production) output.out(`🏭 ${shown} is marked as a production database (since ${current.setAt?.slice(0, 19) ?? '?'}, by ${current.setBy ?? '?'}): sample data never runs on it unless --sample-data is passed`);
      else output.out(`ℹ️  ${shown} is not marked as a production database (${PROGRAM} production --mark marks it)`);
      output.flush();
      return 0;
    }
    const wanted = values.mark === true;
    if (current.production === wanted) {
      if (json) document({ ok: true, database: current.database, production: current.production, setAt: current.setAt, setBy: current.setBy, changed: false, changes: [] });
      else output.out(`✅ ${shown} is ${wanted ? 'already' : 'not'} marked as a production database: nothing changed`);
      output.flush();
      return 0;
    }
    if (!values.yes) {
      if (!process.stdin.isTTY) {
        throw new MigrateError('USAGE', `refusing to ${wanted ? 'mark' : 'unmark'} without --yes: stdin is not a terminal, so nobody can confirm`, { hint: `${PROGRAM} production --${wanted ? 'mark' : 'unmark'} --yes` });
      }
      output.flush();
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`${wanted ? 'Mark' : 'Unmark'} ${shown} as a production database? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new MigrateError('USAGE', 'not confirmed: nothing was changed');
    }
    const result = await setProductionMarker(config, wanted, `${PROGRAM} production --${wanted ? 'mark' : 'unmark'}`);
    if (json) document({ ok: true, ...result });
    else for (const change of result.changes) output.out(`🏭 ${change[0]!.toUpperCase()}${change.slice(1)}`);
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) document({ ok: false, error: errorReport(error) });
    else printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}
