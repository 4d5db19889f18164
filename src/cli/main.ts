// Command-line entry: arguments and environment in, exit code out. Everything
// between is the run; this file only wires options, reporters and the process.
import path from 'node:path';
import { MigrateError, exitCodeFor } from '../core/errors.js';
import { scrub, secretsOf } from '../core/redact.js';
import { resolveTarget } from '../db/connect.js';
import { run } from '../run/migrate.js';
import { buildResult, errorReport } from '../run/result.js';
import type { Command, EventSink } from '../run/events.js';
import { loadEnvFiles } from './env-files.js';
import { humanReporter } from './reporters/human.js';
import { jsonReporter } from './reporters/json.js';
import { colourWanted, makeStyle } from './reporters/style.js';
import { lineWriter } from './line-writer.js';
import { parseCommandArgs } from './args.js';

const USAGE = `Usage: db <command> [options]

Commands:
  migrate            apply pending migrations (npm run db:migrate)
  status             show applied, pending, modified, missing and inactive migrations
  verify             check migrations against the team checklist, and the database against them
  new <description>  create the next migration file from the standard template

Options:
  --root DIR         project root (default: current folder)
  --theme NAME       active theme (default: NEXT_PUBLIC_ACTIVE_THEME)
  --json             print one JSON document on stdout instead of text
  --dry-run          show what would run; execute nothing
  --strict-order     refuse pending files numbered below an applied one
  --allow-missing    run even though applied files are missing from disk
  --sample-data      run *sample_data* files even when NODE_ENV=production
  --no-sample-data   never run *sample_data* files
  --no-env-file      ignore .env, .env.local, .env.<NODE_ENV>, .env.<NODE_ENV>.local
  -h, --help         show this help

Database: MIGRATE_DATABASE_URL, else DATABASE_URL, else the embedded PGlite database
in <root>/.pglite. pglite:<dir> and pglite:memory select the embedded database.

Exit codes: 0 success · 1 a migration failed or validation found an error · 2 usage or configuration error`;

const COMMANDS: readonly Command[] = ['migrate', 'status'];

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A closed pipe (`db:migrate | head`) must not kill a run half-way: keep migrating, stop printing.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  // Commands with their own options and output live in their own modules, loaded on demand.
  if (argv[0] === 'verify' || argv[0] === 'new') {
    try {
      const delegate = argv[0] === 'verify' ? (await import('../verify/cli.js')).verifyCommand : (await import('../scaffold/cli.js')).newCommand;
      return await delegate(argv.slice(1), env);
    } catch (error) {
      if (!(error instanceof MigrateError)) throw error;
      process.stderr.write(`❌ ${error.message}\n${error.hint ? `   → ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
  }
  const json = argv.includes('--json');
  const style = makeStyle(!json && colourWanted(process.stdout, env));
  let secrets: string[] = [];
  const stdout = lineWriter(process.stdout, (t) => scrub(t, secrets));
  const stderr = lineWriter(process.stderr, (t) => scrub(t, secrets));
  const out = (text: string) => {
    stderr.flush(); // keep the two streams in order on a terminal
    stdout.write(text);
  };
  const err = (text: string) => {
    stdout.flush();
    stderr.write(text);
  };
  const emit: EventSink = json ? jsonReporter((t) => void process.stdout.write(scrub(t, secrets))) : humanReporter(out, err, style);

  let command: Command = 'migrate';
  try {
    const parsed = parseCommandArgs(
      argv,
      {
        root: { type: 'string' },
        theme: { type: 'string' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'strict-order': { type: 'boolean' },
        'allow-missing': { type: 'boolean' },
        'sample-data': { type: 'boolean' },
        'no-sample-data': { type: 'boolean' },
        'no-env-file': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      argv[0] === 'status' ? 'status' : 'migrate',
    );
    const values = parsed.values;
    if (values.help) {
      out(USAGE);
      stdout.flush();
      return 0;
    }
    const [name, ...extra] = parsed.positionals;
    if (name !== undefined) {
      if (!COMMANDS.includes(name as Command)) throw new MigrateError('USAGE', `unknown command "${name}"`, { hint: `Commands: ${COMMANDS.join(', ')}.` });
      command = name as Command;
    }
    if (extra.length > 0) throw new MigrateError('USAGE', `unexpected argument "${extra[0]}"`, { hint: 'See --help.' });
    if (values['sample-data'] && values['no-sample-data']) {
      throw new MigrateError('USAGE', '--sample-data and --no-sample-data contradict each other', { hint: 'Pass at most one of them.' });
    }

    const root = path.resolve(values.root ?? '.');
    if (!values['no-env-file']) loadEnvFiles(root, env);
    secrets = [...secretsOf(env.MIGRATE_DATABASE_URL), ...secretsOf(env.DATABASE_URL)];
    const target = resolveTarget(root, env);
    const theme = values.theme ?? env.NEXT_PUBLIC_ACTIVE_THEME;
    const sampleData = values['sample-data'] ? true : values['no-sample-data'] ? false : env.NODE_ENV !== 'production';

    const result = await run(
      {
        command,
        root,
        theme: theme === '' ? undefined : theme,
        themeOrigin: values.theme !== undefined ? '--theme' : 'NEXT_PUBLIC_ACTIVE_THEME',
        target,
        sampleData,
        strictOrder: values['strict-order'] ?? false,
        allowMissing: values['allow-missing'] ?? false,
        dryRun: values['dry-run'] ?? false,
      },
      emit,
    );
    stdout.flush();
    stderr.flush();
    return result.ok ? 0 : exitCodeFor(result.error?.code ?? 'VALIDATION');
  } catch (error) {
    const failure =
      error instanceof MigrateError
        ? error
        : new MigrateError('DATABASE', `unexpected error: ${(error as Error).message ?? String(error)}`, { cause: error });
    const result = buildResult({ command, target: { kind: 'pglite', dir: null, display: '', origin: '', isDefault: false }, dryRun: false }, null, new Map(), failure);
    if (json) emit({ type: 'done', result });
    else {
      const report = errorReport(failure);
      err(style.red(`❌ ${report.message}`));
      if (report.hint) err(`   → ${report.hint}`);
      if (!(error instanceof MigrateError) && error instanceof Error && env.DEBUG) err(error.stack ?? '');
    }
    stdout.flush();
    stderr.flush();
    return failure.exitCode;
  }
}
