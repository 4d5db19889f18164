// `tiered-migrate new <description>` (npm run db:new): creates the next migration
// of a folder from the standard template and prints its path.
import path from 'node:path';
import { createMigration } from '../../scaffold/new.js';
import { downFilenameOf } from '../../core/down-files.js';
import { resolveConfig } from '../../api/config.js';
import { CLI_OPTION_NAMES, PROGRAM, parseCommandArgs, projectOptionsOf } from '../args.js';

const USAGE = `Usage: ${PROGRAM} new <description> [options]   (npm run db:new -- <description> [options])

Creates the next migration file from the standard template and prints its path.

  npm run db:new -- add invoices                          core: migrations/
  npm run db:new -- add invoices --theme default          contents/themes/default/migrations/
  npm run db:new -- add invoices --plugin billing         contents/plugins/billing/migrations/
  npm run db:new -- add priority --entity tasks --theme default
                                                          an entity of a theme (or --plugin)

Options:
  --theme NAME     a theme's migrations (or, with --entity, its entity)
  --plugin NAME    a plugin's migrations (or, with --entity, its entity)
  --entity NAME    an entity's migrations; needs --theme or --plugin
  --down           also write NNN_name.down.sql, which db:rollback runs to undo it
                   (drops what the template creates, each with IF EXISTS)
  --table NAME     the template's table (default: the entity, else the description
                   without a leading "create"/"add")
  --no-transaction a -- migrate:no-transaction file (runs outside a transaction,
                   statement by statement) with a CREATE INDEX CONCURRENTLY template
  --root DIR       project root (default: current folder)
  --core-dir DIR   the core folder of a fork of the core (a new core file goes there)
  --no-env-file    ignore .env files (read for NEXT_PUBLIC_ACTIVE_THEME)
  -h, --help       show this help

Numbers: the next one of the folder; entity files share one numbering across all
entities of the setup (the engine runs every 001_ before any 002_).
A description containing "sample data" makes a *_sample_data file (development rows).

Exit codes: 0 created · 1 the file exists · 2 usage error`;


/** Runs `new` and returns the exit code (errors are thrown for the dispatcher to print). */
export async function newCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      theme: { type: 'string' },
      plugin: { type: 'string' },
      entity: { type: 'string' },
      table: { type: 'string' },
      down: { type: 'boolean' },
      'no-transaction': { type: 'boolean' },
      root: { type: 'string' },
      'core-dir': { type: 'string' },
      'no-env-file': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'new',
  );
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // --theme here names the folder to write into, not the active theme.
  const config = resolveConfig(projectOptionsOf({ root: v.root, 'core-dir': v['core-dir'], 'no-env-file': v['no-env-file'] }, env), CLI_OPTION_NAMES);
  const relative = await createMigration({
    root: config.project.root,
    core: config.project.core,
    description: parsed.positionals.join(' '),
    theme: v.theme,
    plugin: v.plugin,
    entity: v.entity,
    table: v.table,
    noTransaction: v['no-transaction'],
    activeTheme: config.env.NEXT_PUBLIC_ACTIVE_THEME || undefined,
    down: Boolean(v.down),
  });
  process.stdout.write(`${relative}\n`);
  if (v.down) process.stdout.write(`${path.posix.join(path.posix.dirname(relative), downFilenameOf(path.posix.basename(relative)))}\n`);
  return 0;
}
