// `tiered-migrate baseline [--up-to <file>]` (npm run db:baseline).
import { MigrateError } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { packageVersion } from '../../discover/core-dir.js';
import { baseline } from '../../recovery/baseline.js';
import type { MigrationFile } from '../../core/types.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';
import { confirmed, localActor } from '../confirm.js';

const USAGE = `Usage: ${PROGRAM} baseline [--up-to <file>] [options]   (npm run db:baseline -- …)

For a database built before ${PROGRAM} was used: records every migration of the active
setup (in the order db:migrate runs them), up to FILE or all, as applied, without
running any. Lists them first; one transaction under the migration lock; each one
gets a history entry (db:status --history). Refused, with nothing changed, when any
of those files already has a tracking row.

Options:
${PROJECT_FLAGS_USAGE}
  --up-to FILE       the last file to record (a path from the project root, or a bare
                     filename when only one file has it)
  --yes              do it without asking (needed when stdin is not a terminal)
  --json             print one JSON document on stdout
  --no-emoji         plain markers instead of emoji
  -h, --help         show this help

Exit codes: 0 done · 1 refused (files already recorded) · 2 usage or configuration
error, or not confirmed`;

const FLAGS = { ...PROJECT_FLAGS, 'up-to': { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' }, 'no-emoji': { type: 'boolean' } } as const;

export async function baselineCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env, emoji: !argv.includes('--no-emoji') });
  const { style } = output;
  let database: string | null = null;
  const document = (fields: object) => output.raw(`${JSON.stringify({ command: 'baseline', database, ...fields, version: packageVersion() }, null, 2)}\n`);
  const listed = (files: readonly MigrationFile[]) => files.map((f) => ({ tier: f.source.tier, source: f.source.sourceName, entity: f.source.entity, filename: f.filename, path: f.path, checksum: f.checksum }));
  try {
    const { values, positionals } = parseCommandArgs(argv, FLAGS, 'baseline');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'baseline');
    const config = resolveConfig(projectOptionsOf(values, env), CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    database = config.target.display;
    const outcome = await baseline(config, {
      upTo: values['up-to'] ?? null,
      actor: localActor(),
      async confirm(files) {
        // The list, for the record (and on stderr with --json when someone is asked).
        if (!json || !values.yes) {
          const say = json ? output.err : output.out;
          say(`🛠️  baseline ${values.yes ? 'records' : 'will record'} ${files.length} migration(s) as applied in ${config.target.display}, without running them:`);
          for (const f of files) say(`   ${f.path}`);
        }
        output.flush();
        return confirmed('Record them?', values.yes ?? false, 'baseline');
      },
    });
    database = outcome.database;
    if (!outcome.changed && outcome.reason === 'not confirmed') throw new MigrateError('USAGE', 'not confirmed: nothing was changed');
    if (json) document({ ok: true, changed: outcome.changed, recorded: outcome.changed ? listed(outcome.files) : [], reason: outcome.reason, error: null });
    else if (!outcome.changed) output.out(`ℹ️  ${outcome.reason}`);
    else output.out(`✅ Recorded ${outcome.files.length} migration(s) as applied (none was run); db:migrate now applies only what follows.`);
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) document({ ok: false, changed: false, recorded: [], reason: null, error: errorReport(error) });
    else printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}
