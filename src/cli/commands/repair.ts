// `tiered-migrate repair --forget <file> | --accept <file>` (npm run db:repair).
import { MigrateError } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { packageVersion } from '../../discover/core-dir.js';
import { repair, type RepairAction, type RepairChange } from '../../recovery/repair.js';
import { shortChecksum } from '../../recovery/common.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';
import { confirmed, localActor } from '../confirm.js';

const USAGE = `Usage: ${PROGRAM} repair --forget <file> | --accept <file> [options]   (npm run db:repair -- …)

Changes one tracking row, under the migration lock, and records it in the history
(db:status --history). Nothing else is changed; no migration runs.
  --forget FILE      remove the file's tracking row: the next db:migrate runs it again
                     (the file may be gone from disk: name it by its path)
  --accept FILE      record the current checksum of an applied file that was edited on
                     purpose, so runs stop refusing it as modified
FILE is a path from the project root (or absolute), or a bare filename when only
one file of the active setup has it.

Options:
${PROJECT_FLAGS_USAGE}
  --yes              do it without asking (needed when stdin is not a terminal)
  --json             print one JSON document on stdout
  --no-emoji         plain markers instead of emoji
  -h, --help         show this help

Exit codes: 0 done (or nothing to do) · 1 refused (no tracking row…) · 2 usage or
configuration error, or not confirmed`;

const FLAGS = {
  ...PROJECT_FLAGS,
  forget: { type: 'string' },
  accept: { type: 'string' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
  'no-emoji': { type: 'boolean' },
} as const;

export async function repairCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env, emoji: !argv.includes('--no-emoji') });
  const { style } = output;
  let database: string | null = null;
  let action: RepairAction | null = null;
  const document = (fields: object) => output.raw(`${JSON.stringify({ command: 'repair', action, database, ...fields, version: packageVersion() }, null, 2)}\n`);
  try {
    const { values, positionals } = parseCommandArgs(argv, FLAGS, 'repair');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'repair');
    if ((values.forget === undefined) === (values.accept === undefined)) {
      throw new MigrateError('USAGE', values.forget === undefined ? 'repair needs --forget <file> or --accept <file>' : '--forget and --accept exclude each other', {
        hint: `${PROGRAM} repair --forget migrations/005_x.sql`,
      });
    }
    action = values.forget !== undefined ? 'forget' : 'accept';
    const config = resolveConfig(projectOptionsOf(values, env), CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    database = config.target.display;
    const outcome = await repair(config, {
      action,
      file: (values.forget ?? values.accept)!,
      actor: localActor(),
      async confirm(change) {
        // Shown to whoever is asked (on stderr with --json, where stdout is the document).
        if (!values.yes) for (const line of describe(change, false)) (json ? output.err : output.out)(line);
        output.flush();
        return confirmed('Make this change?', values.yes ?? false, 'repair');
      },
    });
    database = outcome.database;
    if (!outcome.changed && outcome.reason === 'not confirmed') throw new MigrateError('USAGE', 'not confirmed: nothing was changed');
    if (json) document({ ok: true, changed: outcome.changed, change: outcome.change, reason: outcome.reason, error: null });
    else if (!outcome.changed) output.out(`ℹ️  ${outcome.reason}`);
    else for (const line of describe(outcome.change!, true)) output.out(line);
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) document({ ok: false, changed: false, change: null, reason: null, error: errorReport(error) });
    else printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

/** The change in words: before it is made (`done: false`), and after. */
function describe(change: RepairChange, done: boolean): string[] {
  const row = `its row in ${change.table}${change.executedAt ? ` (applied ${change.executedAt})` : ''}`;
  if (change.action === 'forget') {
    return done
      ? [`🗑️  Forgot ${change.path}: removed ${row}, checksum ${shortChecksum(change.oldChecksum)}`, '   The next db:migrate runs it again.']
      : [`🛠️  repair --forget will remove ${row} for ${change.path}`];
  }
  const sums = `checksum ${shortChecksum(change.oldChecksum)} → ${shortChecksum(change.newChecksum)}`;
  return done
    ? [`✏️  Accepted the edit of ${change.path}: ${row} now holds ${sums}`]
    : [`🛠️  repair --accept will update ${row} for ${change.path}: ${sums}`];
}
