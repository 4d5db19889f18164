// The `new` operation: creates the next migration of a folder from the standard
// template and returns its path. Never overwrites a file.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationFile, Source } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { formatNumber, isSafeSegment, isSampleData, toSnake } from '../core/naming.js';
import { numberedAcrossTier } from '../core/numbering.js';
import type { CoreLocation } from '../discover/core-dir.js';
import { activeSources, availablePlugins, availableThemes, coreSource, entitySources, readSourceFiles, resolveActiveSetup } from '../discover/project.js';
import { checkTableName, describe, nextNumber, tableFromDescription, type Named } from './naming.js';
import { addColumnDownTemplate, addColumnTemplate, concurrentIndexDownTemplate, concurrentIndexTemplate, isoDate, sampleDataDownTemplate, sampleDataTemplate, tableDownTemplate, tableTemplate } from './template.js';
import { downFilenameOf } from '../core/down-files.js';
import { loadParser } from '../sql/statements.js';
import { parseMigration } from '../verify/parse.js';
import { buildCorpus } from '../verify/corpus.js';
import { orderForExecution } from '../core/order.js';

export interface NewMigrationOptions {
  root: string;
  core: CoreLocation;
  /** What the author typed: `add invoices`. */
  description: string;
  theme?: string | undefined;
  plugin?: string | undefined;
  entity?: string | undefined;
  table?: string | undefined;
  /** The active theme (NEXT_PUBLIC_ACTIVE_THEME), to number a plugin's entity within it. */
  activeTheme?: string | undefined;
  /** A `-- migrate:no-transaction` file with a concurrent index build (`--no-transaction`). */
  noTransaction?: boolean | undefined;
  /** The day written in the header (tests fix it). */
  today?: Date;
  /** Also write its down file (`NNN_name.down.sql`, run by db:rollback), dropping what the template creates. */
  down?: boolean;
}

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
  /** Every file of the setup the target belongs to, in execution order (entity targets only). */
  setupFiles: MigrationFile[] | null;
}

function filesOf(root: string, sources: readonly Source[]): MigrationFile[] {
  return sources.flatMap((s) => readSourceFiles(root, s));
}

function folderTarget(root: string, dir: string): Target {
  const source: Source = coreSource(dir);
  return { dir, entity: null, numbers: filesOf(root, [source]).map((f) => f.number), setupFiles: null };
}

/**
 * An entity's folder, and the entity numbers of every setup it belongs to: the
 * theme with its plugins, or for a plugin's entity the active theme (else every
 * theme that lists the plugin) plus the plugin itself.
 */
async function entityTarget(root: string, core: CoreLocation, entity: string, owner: { kind: 'theme' | 'plugin'; name: string }, activeTheme: string | undefined): Promise<Target> {
  const themes =
    owner.kind === 'theme'
      ? [owner.name]
      : activeTheme && availableThemes(root).includes(activeTheme)
        ? [activeTheme]
        : await themesListing(root, owner.name);
  const sources = new Map<string, Source>();
  for (const theme of themes) {
    const { plugins } = await resolveActiveSetup(root, theme, owner.kind === 'theme' ? '--theme' : 'NEXT_PUBLIC_ACTIVE_THEME');
    for (const s of activeSources(root, core, theme, plugins)) if (numberedAcrossTier(s)) sources.set(s.dir, s);
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
  const files = filesOf(root, all);
  return { dir, entity, numbers: files.map((f) => f.number), setupFiles: orderForExecution(files, new Map(all.map((s, i) => [s.dir, i]))) };
}

/** Writes the next migration file and returns its path relative to the root. */
export async function createMigration(options: NewMigrationOptions): Promise<string> {
  const { root } = options;
  const description = refuse(describe(options.description));
  if (options.theme !== undefined && options.plugin !== undefined) throw new MigrateError('USAGE', '--theme and --plugin name two different folders', { hint: 'Pass one of them.' });
  if (options.entity !== undefined && options.theme === undefined && options.plugin === undefined) {
    throw new MigrateError('USAGE', '--entity needs --theme or --plugin', { hint: 'Say whose entity it is: --entity tasks --theme default.' });
  }
  if (options.theme !== undefined) {
    checkSegment('theme', options.theme);
    if (!availableThemes(root).includes(options.theme)) throw new MigrateError('THEME_NOT_FOUND', `theme "${options.theme}" not found in contents/themes`, { hint: `Available: ${availableThemes(root).join(', ') || '(none)'}.` });
  }
  if (options.plugin !== undefined) {
    checkSegment('plugin', options.plugin);
    if (!availablePlugins(root).includes(options.plugin)) throw new MigrateError('PLUGIN_NOT_FOUND', `plugin "${options.plugin}" not found in contents/plugins`, { hint: `Available: ${availablePlugins(root).join(', ') || '(none)'}.` });
  }
  if (options.entity !== undefined) checkSegment('entity', options.entity);

  const owner = options.theme !== undefined ? { kind: 'theme' as const, name: options.theme } : options.plugin !== undefined ? { kind: 'plugin' as const, name: options.plugin } : null;
  if (!owner && options.core.origin === 'package') {
    throw new MigrateError('USAGE', 'the core tier is the schema shipped with tiered-migrate: a new core file would go into node_modules', {
      hint: "Put the app's migration in its theme (--theme NAME) or a plugin (--plugin NAME); a team that forks the core passes --core-dir DIR.",
    });
  }
  const target =
    options.entity !== undefined && owner
      ? await entityTarget(root, options.core, options.entity, owner, options.activeTheme)
      : folderTarget(root, owner ? `contents/${owner.kind}s/${owner.name}/migrations` : options.core.dir);

  const filename = `${formatNumber(nextNumber(target.numbers))}_${description.snake}.sql`;
  const sample = isSampleData(filename);
  const table =
    options.table !== undefined
      ? refuse(checkTableName(options.table, '--table'))
      : target.entity
        ? refuse(checkTableName(toSnake(target.entity), '--entity'))
        : sample
          ? 'table_name'
          : refuse(checkTableName(tableFromDescription(description.snake), 'the description'));
  const input = { filename, sentence: description.sentence, date: isoDate(options.today ?? new Date()), table, entity: target.entity };
  if (options.noTransaction && sample) throw new MigrateError('USAGE', '--no-transaction makes a concurrent index file, not sample data', { hint: 'Drop --no-transaction, or describe the index (e.g. "index tasks status").' });
  const existing = sample || options.noTransaction ? null : await existingTable(target, table);
  const column = tableFromDescription(description.snake);
  const added = { ...input, column: column === table || !/^[a-z_][a-z0-9_]*$/.test(column) ? 'new_column' : column };
  const content = options.noTransaction
    ? concurrentIndexTemplate({ ...input, column: 'column_name' })
    : sample
    ? sampleDataTemplate(input) : existing ? addColumnTemplate({ ...added, createdIn: existing }) : tableTemplate(input);
  const downFilename = downFilenameOf(filename);
  const downContent = options.noTransaction
    ? concurrentIndexDownTemplate({ ...input, column: 'column_name' }, downFilename)
    : sample ? sampleDataDownTemplate(input, downFilename) : existing ? addColumnDownTemplate(added, downFilename) : tableDownTemplate(input, downFilename);

  const relative = `${target.dir}/${filename}`;
  mkdirSync(path.join(root, target.dir), { recursive: true });
  writeNew(root, relative, content);
  if (options.down) {
    try {
      writeNew(root, `${target.dir}/${downFilename}`, downContent);
    } catch (error) {
      // Both files or neither: a migration whose down file was refused is taken back.
      rmSync(path.join(root, relative), { force: true });
      throw error;
    }
  }
  return relative;
}

/** Writes a file that must not exist yet ('wx': atomically; nothing is ever overwritten). */
function writeNew(root: string, relative: string, content: string): void {
  try {
    writeFileSync(path.join(root, relative), content, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MigrateError('VALIDATION', `${relative} already exists; not overwritten`, { file: relative });
    }
    throw error;
  }
}

/**
 * The file that creates `table` in the target's setup, when one does: a second
 * CREATE TABLE IF NOT EXISTS would do nothing there (db:verify's create-existing),
 * so the new file adds columns instead.
 */
async function existingTable(target: Target, table: string): Promise<string | null> {
  if (!target.setupFiles || target.setupFiles.length === 0) return null;
  const parser = await loadParser();
  const corpus = buildCorpus(target.setupFiles.map((f) => parseMigration(parser, f)));
  return corpus.tables.get(`public.${table}`)?.created?.file.file.path ?? null;
}

/** The themes whose config lists `plugin`. */
async function themesListing(root: string, plugin: string): Promise<string[]> {
  const themes: string[] = [];
  for (const theme of availableThemes(root)) {
    if ((await resolveActiveSetup(root, theme, 'contents/themes')).plugins.includes(plugin)) themes.push(theme);
  }
  return themes;
}
