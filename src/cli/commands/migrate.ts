// `tiered-migrate migrate` and `tiered-migrate status` (npm run db:migrate, db:status).
import { exitCodeFor } from '../../core/errors.js';
import { resolveConfig, sampleDataWanted, secondsSetting } from '../../api/config.js';
import { runResolved } from '../../api/migrate.js';
import { buildResult, errorReport } from '../../run/result.js';
import type { Command } from '../../run/events.js';
import { MigrateError } from '../../core/errors.js';
import { humanReporter } from '../reporters/human.js';
import { jsonReporter } from '../reporters/json.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf, takeOptionalValue, limitFlagsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';

const usage = (command: Command) => `Usage: ${PROGRAM} ${command} [options]${command === 'migrate' ? '   (npm run db:migrate -- [options])' : '   (npm run db:status -- [options])'}

${command === 'migrate' ? 'Applies every pending migration: core, then the theme, its plugins, then entities.' : 'Shows applied, pending, modified, missing and inactive migrations; changes nothing.'}

Options:
${PROJECT_FLAGS_USAGE}
  --json             print one JSON document on stdout instead of text
  -q, --quiet        print only warnings, errors and the summary
  --no-emoji         plain markers ([ok], [error], …) instead of emoji${command === 'migrate' ? `
  --dry-run          show what would run; execute nothing
  --strict-order     refuse pending files numbered below an applied one
  --rehearse         first run the pending files on a shadow (new in-memory PGlite with
                     what the database applied); touch the database only if all pass
  --backup [PATH]    before anything is applied (when something is pending), back the whole
                     database up: pg_dump --format=custom on a server (PG_DUMP names the program),
                     PGlite's dump on the embedded one; default .tiered-migrate/backups/<db>-<UTC>.*
                     A relative PATH is inside the project root; an absolute one may be anywhere.
  --backup-in-repo   allow a backup PATH that git would see (not ignored in a work tree)
  --lock-timeout D   how long each attempt of a file waits for a table lock, in PostgreSQL's
                     units: 500ms, 5s, 1min (default 5s, MIGRATE_LOCK_TIMEOUT; 0: no limit)
  --lock-retries N   tries again after a lock timeout, after a growing pause (default 9,
                     so 10 attempts in about 5 minutes; MIGRATE_LOCK_RETRIES; 0: none)
  --statement-timeout D  statement_timeout of every statement of a file (default none,
                     MIGRATE_STATEMENT_TIMEOUT)` : `
  --exit-code        exit 1 when anything is pending (a CI gate)
  --history          also list the history of repairs and baselines (who, when, what)`}
  --allow-missing    run even though applied files are missing from disk
  --connect-timeout S  give up a connection attempt after S seconds (default 10; 0: never;
                     MIGRATE_CONNECT_TIMEOUT)
  --wait S           keep retrying a server that refuses connections, is unreachable or is
                     starting up, for up to S seconds (MIGRATE_WAIT); default: fail at once
  --sample-data      run *sample_data* files even when NODE_ENV=production
  --no-sample-data   never run *sample_data* files
  --targets FILE     many databases (a fleet): one [label] URL per line, - for stdin; or
  --targets-query SQL  the rows (url, label, schema) of a query; see ${PROGRAM} ${command} --targets - --help
  -h, --help         show this help

Database: MIGRATE_DATABASE_URL, else DIRECT_URL, else DATABASE_URL, else the embedded PGlite database
in <root>/.pglite. pglite:<dir> and pglite:memory select the embedded database.

Exit codes: 0 success · 1 a migration failed or validation found an error · 2 usage or
configuration error · 130 / 143 stopped by Ctrl-C / SIGTERM (the running file rolled back)`;

const COMMON_FLAGS = {
  ...PROJECT_FLAGS,
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'no-emoji': { type: 'boolean' },
  'allow-missing': { type: 'boolean' },
  'sample-data': { type: 'boolean' },
  'no-sample-data': { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  wait: { type: 'string' },
} as const;
const MIGRATE_FLAGS = {
  ...COMMON_FLAGS,
  'dry-run': { type: 'boolean' },
  'strict-order': { type: 'boolean' },
  rehearse: { type: 'boolean' },
  backup: { type: 'boolean' },
  'backup-in-repo': { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  'lock-retries': { type: 'string' },
  'statement-timeout': { type: 'string' },
} as const;
const STATUS_FLAGS = { ...COMMON_FLAGS, 'exit-code': { type: 'boolean' }, history: { type: 'boolean' } } as const;
/** The parsed flags of migrate and status (each command accepts its own subset). */
interface Flags {
  root?: string;
  theme?: string;
  'core-dir'?: string;
  'no-env-file'?: boolean;
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  'no-emoji'?: boolean;
  'allow-missing'?: boolean;
  'sample-data'?: boolean;
  'no-sample-data'?: boolean;
  'dry-run'?: boolean;
  'strict-order'?: boolean;
  'exit-code'?: boolean;
  history?: boolean;
  rehearse?: boolean;
  backup?: boolean;
  'backup-in-repo'?: boolean;
  'lock-timeout'?: string;
  'lock-retries'?: string;
  'statement-timeout'?: string;
  'connect-timeout'?: string;
  wait?: string;
}

/** Signals that stop a run, and the exit status each gives (128 + signal number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export async function migrateCommand(command: Command, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // A fleet (many databases) is its own command file.
  if (argv.some((a) => /^--targets(-query)?(=|$)/.test(a))) return (await import('./fleet.js')).fleetCommand(command, argv, env);
  const json = argv.includes('--json');
  const output = makeOutput({ json, env, emoji: !argv.includes('--no-emoji') });
  const { style } = output;
  try {
    // `--backup [PATH]`: its value is optional, which parseArgs cannot say.
    const backupFlag = command === 'migrate' ? takeOptionalValue(argv, '--backup') : { argv, present: false, value: null };
    const parsed = parseCommandArgs(
      backupFlag.present ? [...backupFlag.argv, '--backup'] : backupFlag.argv,
      command === 'migrate' ? MIGRATE_FLAGS : STATUS_FLAGS,
      command,
    );
    const values = parsed.values as Flags;
    const positionals = parsed.positionals;
    if (values.help) {
      output.out(usage(command));
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, command);
    if (values['sample-data'] && values['no-sample-data']) {
      throw new MigrateError('USAGE', '--sample-data and --no-sample-data contradict each other', { hint: 'Pass at most one of them.' });
    }
    const options = {
      ...projectOptionsOf(values, env),
      ...(values['sample-data'] ? { sampleData: true } : values['no-sample-data'] ? { sampleData: false } : {}),
      strictOrder: values['strict-order'] ?? false,
      allowMissing: values['allow-missing'] ?? false,
      dryRun: values['dry-run'] ?? false,
      ...(values.backup ? { backup: { ...(backupFlag.value !== null ? { path: backupFlag.value } : {}), inRepo: values['backup-in-repo'] ?? false } } : {}),
      ...limitFlagsOf(values),
      ...(values['connect-timeout'] !== undefined ? { connectTimeout: secondsSetting(values['connect-timeout'], '--connect-timeout') / 1000 } : {}),
      ...(values.wait !== undefined ? { wait: secondsSetting(values.wait, '--wait') / 1000 } : {}),
    };
    if (values['backup-in-repo'] && !values.backup) throw new MigrateError('USAGE', '--backup-in-repo is only meaningful with --backup', { hint: 'Add --backup PATH.' });
    const config = resolveConfig(options, CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    if (!json && !values.quiet) output.out(`📄 Env files: ${config.envFilesLoaded.length > 0 ? config.envFilesLoaded.join(', ') : values['no-env-file'] ? '(not read: --no-env-file)' : '(none found)'}`);

    // Ctrl-C or SIGTERM: cancel the running statement, roll its file back, report, exit
    // 130 / 143. A second signal exits at once.
    const stop = new AbortController();
    let stoppedBy: keyof typeof STOP_SIGNALS | null = null;
    const handlers = Object.keys(STOP_SIGNALS).map((name) => {
      const signal = name as keyof typeof STOP_SIGNALS;
      const handler = () => {
        if (stoppedBy) process.exit(STOP_SIGNALS[stoppedBy]);
        stoppedBy = signal;
        stop.abort(signal);
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    try {
      if (values.rehearse) {
        const { rehearse } = await import('../../verify/shadow/rehearse.js');
        const rehearsal = await rehearse(config, sampleDataWanted(options.sampleData, config, true));
        for (const f of rehearsal.findings) output.err(`❌ rehearsal: ${f.file}:${f.line}:${f.column} ${f.message}`);
        if (!rehearsal.ok) {
          output.flush();
          return 1;
        }
        if (!json && !values.quiet) output.out(`🎭 Rehearsal passed: ${rehearsal.summary.pending.length} pending file(s) applied on a shadow`);
      }
      // With --history, the JSON document waits for the history, which joins it as `history`.
      let document: string | null = null;
      const writeJson = values.history ? (t: string) => void (document = t) : (t: string) => output.raw(t);
      const onEvent = json ? jsonReporter(writeJson) : humanReporter(output.out, output.err, style, { quiet: values.quiet ?? false, live: output.live });
      const result = await runResolved(command, config, { ...options, onEvent, signal: stop.signal });
      if (values.history) {
        const { historyOf } = await import('../../recovery/common.js');
        const { historyLines } = await import('../reporters/history.js');
        const history = result.database !== null ? await historyOf(config) : [];
        if (json && document !== null) output.raw(`${JSON.stringify({ ...JSON.parse(document), history }, null, 2)}\n`);
        else if (!json) for (const line of historyLines(history)) output.out(line);
      }
      output.flush();
      if (stoppedBy) return STOP_SIGNALS[stoppedBy];
      if (!result.ok) return exitCodeFor(result.error?.code ?? 'VALIDATION');
      // For CI gates: anything still to apply fails the step.
      if (values['exit-code'] && result.migrations.some((m) => m.status === 'pending')) return 1;
      return 0;
    } finally {
      for (const off of handlers) off();
    }
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) jsonReporter((t) => output.raw(t))({ type: 'done', result: buildResult({ command, database: null }, null, new Map(), error) });
    else printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}
