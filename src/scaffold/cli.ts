// `db new <description>` (npm run db:new): creates the next migration of a folder
// from the standard template and prints its path. Never overwrites a file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationFile, Source } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { isSafeSegment, isSampleData } from '../core/naming.js';
import { loadEnvFiles } from '../cli/env-files.js';
import { activeSources, availablePlugins, availableThemes, entitySources, readSourceFiles, resolveActiveSetup } from '../discover/project.js';
import { checkTableName, describe, formatNumber, nextNumber, tableFromDescription, toSnake, type Named } from './naming.js';
import { isoDate, sampleDataTemplate, tableTemplate } from './template.js';
import { loadThemeConfigParser } from '../discover/theme-config.js';
import { parseCommandArgs } from '../cli/args.js';

const USAGE = `Usage: db new <description> [options]   (npm run db:new -- <description> [options])

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
  --table NAME     the template's table (default: the entity, else the description
                   without a leading "create"/"add")
  --root DIR       project root (default: current folder)
  --no-env-file    ignore .env files (read for NEXT_PUBLIC_ACTIVE_THEME)
  -h, --help       show this help

Numbers: the next one of the folder; entity files share one numbering across all
entities of the setup (the engine runs every 001_ before any 002_).
A description containing "sample data" makes a *_sample_data file (development rows).

Exit codes: 0 created · 1 the file exists · 2 usage error`;

function refuse<T>(named: Named<T>): T {
  if (!named.ok) throw new MigrateError('USAGE', named.error, { hint: named.hint });
  return named.value;
}

function checkSegment(kind: string, name: string): void {
  if (!isSafeSegment(name) || !/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new MigrateError('USAGE', `${kind} name ${JSON.stringify(name)} is not a plain lower-case folder name`);
  }
}

/** Where the file goes, and the numbers already used by whatever shares its numbering. */
interface Target {
  dir: string;
  entity: string | null;
  numbers: (bigint | null)[];
}

function filesOf(root: string, sources: readonly Source[]): MigrationFile[] {
  return sources.flatMap((s) => readSourceFiles(root, s));
}

function folderTarget(root: string, dir: string): Target {
  const source: Source = { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir, entityDir: null };
  return { dir, entity: null, numbers: filesOf(root, [source]).map((f) => f.number) };
}

/**
 * An entity's folder, and the entity numbers of every setup it belongs to: the
 * theme with its plugins, or for a plugin's entity the active theme (else every
 * theme that lists the plugin) plus the plugin itself.
 */
function entityTarget(root: string, entity: string, owner: { kind: 'theme' | 'plugin'; name: string }, activeTheme: string | undefined): Target {
  const themes =
    owner.kind === 'theme'
      ? [owner.name]
      : activeTheme && availableThemes(root).includes(activeTheme)
        ? [activeTheme]
        : availableThemes(root).filter((t) => resolveActiveSetup(root, t, 'contents/themes').plugins.includes(owner.name));
  const sources = new Map<string, Source>();
  for (const theme of themes) {
    const { plugins } = resolveActiveSetup(root, theme, owner.kind === 'theme' ? '--theme' : 'NEXT_PUBLIC_ACTIVE_THEME');
    for (const s of activeSources(root, theme, plugins)) if (s.tier === 'entity') sources.set(s.dir, s);
  }
  if (owner.kind === 'plugin') {
    for (const s of entitySources(root, 'plugin', owner.name)) sources.set(s.dir, s);
  }
  const all = [...sources.values()];
  const mine = all.find((s) => s.entity === entity && s.sourceType === owner.kind && s.sourceName === owner.name);
  const elsewhere = all.find((s) => s.entity === entity && s !== mine);
  if (!mine && elsewhere) {
    throw new MigrateError('USAGE', `entity "${entity}" already lives in ${elsewhere.entityDir}`, {
      hint: `Entity names are unique across a setup: use --${elsewhere.sourceType} ${elsewhere.sourceName}, or pick another name.`,
    });
  }
  const dir = mine?.dir ?? `contents/${owner.kind}s/${owner.name}/entities/${entity}/migrations`;
  return { dir, entity, numbers: filesOf(root, all).map((f) => f.number) };
}

/** Runs `db new` and returns the exit code. */
export async function newCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Every theme config may be read here (--all, numbering): load the TypeScript parser up front.
  await loadThemeConfigParser();
  const parsed = parseCommandArgs(argv, {
    theme: { type: 'string' },
    plugin: { type: 'string' },
    entity: { type: 'string' },
    table: { type: 'string' },
    root: { type: 'string' },
    'no-env-file': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, 'new');
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const description = refuse(describe(parsed.positionals.join(' ')));
  if (v.theme !== undefined && v.plugin !== undefined) throw new MigrateError('USAGE', '--theme and --plugin name two different folders', { hint: 'Pass one of them.' });
  if (v.entity !== undefined && v.theme === undefined && v.plugin === undefined) {
    throw new MigrateError('USAGE', '--entity needs --theme or --plugin', { hint: 'Say whose entity it is: --entity tasks --theme default.' });
  }
  const root = path.resolve(v.root ?? '.');
  if (!v['no-env-file']) loadEnvFiles(root, env);
  if (v.theme !== undefined) {
    checkSegment('theme', v.theme);
    if (!availableThemes(root).includes(v.theme)) throw new MigrateError('THEME_NOT_FOUND', `theme "${v.theme}" not found in contents/themes`, { hint: `Available: ${availableThemes(root).join(', ') || '(none)'}.` });
  }
  if (v.plugin !== undefined) {
    checkSegment('plugin', v.plugin);
    if (!availablePlugins(root).includes(v.plugin)) throw new MigrateError('PLUGIN_NOT_FOUND', `plugin "${v.plugin}" not found in contents/plugins`, { hint: `Available: ${availablePlugins(root).join(', ') || '(none)'}.` });
  }
  if (v.entity !== undefined) checkSegment('entity', v.entity);

  const owner = v.theme !== undefined ? { kind: 'theme' as const, name: v.theme } : v.plugin !== undefined ? { kind: 'plugin' as const, name: v.plugin } : null;
  const target =
    v.entity !== undefined && owner
      ? entityTarget(root, v.entity, owner, env.NEXT_PUBLIC_ACTIVE_THEME || undefined)
      : folderTarget(root, owner ? `contents/${owner.kind}s/${owner.name}/migrations` : 'migrations');

  const filename = `${formatNumber(nextNumber(target.numbers))}_${description.snake}.sql`;
  const sample = isSampleData(filename);
  const table =
    v.table !== undefined
      ? refuse(checkTableName(v.table, '--table'))
      : target.entity
        ? refuse(checkTableName(toSnake(target.entity), '--entity'))
        : sample
          ? 'table_name'
          : refuse(checkTableName(tableFromDescription(description.snake), 'the description'));
  const input = { filename, sentence: description.sentence, date: isoDate(new Date()), table, entity: target.entity };
  const content = sample ? sampleDataTemplate(input) : tableTemplate(input);

  const relative = `${target.dir}/${filename}`;
  mkdirSync(path.join(root, target.dir), { recursive: true });
  try {
    // 'wx': fails if the file exists, atomically; nothing is ever overwritten.
    writeFileSync(path.join(root, relative), content, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MigrateError('VALIDATION', `${relative} already exists; not overwritten`, { file: relative });
    }
    throw error;
  }
  process.stdout.write(`${relative}\n`);
  return 0;
}
