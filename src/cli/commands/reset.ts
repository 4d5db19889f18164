// `tiered-migrate reset --yes`: drop and rebuild a development database.
import { createInterface } from 'node:readline/promises';
import { MigrateError, exitCodeFor } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { checkResettable, confirmationName, resetDatabase } from '../../dev/reset.js';
import { humanReporter } from '../reporters/human.js';
import { refuseProductionDatabase } from '../../api/production.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';

const USAGE = `Usage: ${PROGRAM} reset --yes [options]

Drops a development database and migrates it anew; every row in it is lost.
  embedded (<root>/.pglite): its folder is removed (under the folder lock), then re-created
  server (MIGRATE_DATABASE_URL / DATABASE_URL): DROP SCHEMA public CASCADE; CREATE SCHEMA
      public; plus the tracking tables wherever they are; objects in other schemas and
      roles are kept
It prints what it removed. Refused when NODE_ENV=production. Without --yes it asks you
to type the database's name on a terminal, and is refused when stdin is not one.

Options:
${PROJECT_FLAGS_USAGE}
  --yes              do it without asking
  --sample-data      run *sample_data* files even when NODE_ENV=production
  --no-sample-data   never run *sample_data* files
  -h, --help         show this help

Exit codes: 0 done · 1 failed (the removal or the migration) · 2 refused, or usage error`;

export async function resetCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const output = makeOutput({ json: false, env });
  const { style } = output;
  try {
    const { values, positionals } = parseCommandArgs(argv, { ...PROJECT_FLAGS, yes: { type: 'boolean' }, 'sample-data': { type: 'boolean' }, 'no-sample-data': { type: 'boolean' } }, 'reset');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'reset');
    if (values['sample-data'] && values['no-sample-data']) {
      throw new MigrateError('USAGE', '--sample-data and --no-sample-data contradict each other', { hint: 'Pass at most one of them.' });
    }
    const options = { ...projectOptionsOf(values, env), ...(values['sample-data'] ? { sampleData: true } : values['no-sample-data'] ? { sampleData: false } : {}) };
    const config = resolveConfig(options, CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    checkResettable(config);
    await refuseProductionDatabase(config, 'reset');
    const name = confirmationName(config.target);
    output.out(`🧨 Resetting ${config.target.display} (from ${config.target.origin})`);
    if (!values.yes) {
      if (!process.stdin.isTTY) {
        throw new MigrateError('USAGE', 'refusing to reset without --yes: stdin is not a terminal, so nobody can confirm', { hint: `${PROGRAM} reset --yes` });
      }
      output.flush();
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(`Every row will be lost. Type the database name (${name}) to confirm: `);
      rl.close();
      if (answer.trim() !== name) throw new MigrateError('USAGE', 'not confirmed: nothing was changed');
    }
    const outcome = await resetDatabase(config, { ...options, onEvent: humanReporter(output.out, output.err, style) }, (removed) => {
      if (removed.length === 0) output.out('🗑️  Nothing to remove: there was no database yet');
      else for (const line of removed) output.out(line.startsWith(' ') ? line : `🗑️  Removed ${line}`);
      output.out('');
    });
    output.flush();
    return outcome.result.ok ? 0 : exitCodeFor(outcome.result.error?.code ?? 'VALIDATION');
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}
