// The command line: `tiered-migrate <command> [options]`. The only code that knows
// argv, process, colours and exit codes; each command is a file in commands/ that
// parses its flags, calls the library and renders the result. Loaded on demand, so
// a migrate run never loads the verifier or the scaffolder.
import { MigrateError } from '../core/errors.js';
import { packageVersion } from '../discover/core-dir.js';
import { PROGRAM } from './args.js';
import { makeOutput, printError } from './output.js';

const USAGE = `Usage: ${PROGRAM} <command> [options]

Commands:
  migrate            apply pending migrations (npm run db:migrate)
  status             show applied, pending, modified, missing and inactive migrations
  verify             check migrations against the team checklist, and the database against them
  new <description>  create the next migration file from the standard template
  init               set up an app: the default theme, its plugins, the db:* scripts
  dev                migrate the embedded database, serve it on 127.0.0.1:54329, apply saved files
  sql "<SQL>"        run one statement on the configured database and print its rows (alias: query)
  reset --yes        drop and rebuild a development database, then migrate it
  restore <backup>   put the database back as it is in a backup of migrate --backup
  rollback           undo the last applied migration(s) with their down files (--steps N, --to FILE)
  production         whether the database is marked as production (--mark / --unmark)
  repair --forget|--accept <file>  remove, or re-checksum, one migration's tracking row
  baseline           record the migrations of a database built without this tool as applied

Run ${PROGRAM} <command> --help for the options of a command.
  -v, --version      print the version
  -h, --help         show this help

Exit codes: 0 success · 1 a migration failed or validation found an error · 2 usage or configuration error`;

type CommandMain = (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>;

const COMMANDS: Record<string, () => Promise<CommandMain>> = {
  migrate: async () => (argv, env) => import('./commands/migrate.js').then((m) => m.migrateCommand('migrate', argv, env)),
  status: async () => (argv, env) => import('./commands/migrate.js').then((m) => m.migrateCommand('status', argv, env)),
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  new: async () => (await import('./commands/new.js')).newCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  dev: async () => (await import('./commands/dev.js')).devCommand,
  sql: async () => (await import('./commands/sql.js')).sqlCommand,
  query: async () => (await import('./commands/sql.js')).sqlCommand,
  reset: async () => (await import('./commands/reset.js')).resetCommand,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  production: async () => (await import('./commands/production.js')).productionCommand,
  repair: async () => (await import('./commands/repair.js')).repairCommand,
  baseline: async () => (await import('./commands/baseline.js')).baselineCommand,
};

/** Runs the command line and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // A closed pipe (`migrate | head`) must not kill a run half-way: keep migrating, stop printing.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Flags without a command mean migrate, as `node scripts/db.mjs --dry-run` always did.
  const [name, args] = first.startsWith('-') ? ['migrate', argv] : [first, rest];
  const load = COMMANDS[name];
  try {
    if (!load) throw new MigrateError('USAGE', `unknown command "${name}"`, { hint: `Commands: ${Object.keys(COMMANDS).join(', ')}. See ${PROGRAM} --help.` });
    return await (await load())(args, env);
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    const output = makeOutput({ json: false, env });
    printError(output.err, output.style, { code: error.code, message: error.message, file: error.file, line: error.line, column: error.column, sqlstate: null, hint: error.hint });
    output.flush();
    return error.exitCode;
  }
}
