// Discovery: from a project root and an active theme to the list of sources
// (migration folders) and the files in them. File system only; no database.
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { MigrationFile, Source } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { isSafeSegment, isSampleData, leadingNumber } from '../core/naming.js';
import { checksumOfBytes } from '../core/checksum.js';
import { findInvalidUtf8, type InvalidUtf8 } from '../core/encoding.js';
import { orderForExecution } from '../core/order.js';
import { readPluginsFromThemeConfig } from './theme-config.js';

export interface Discovery {
  root: string;
  theme: string;
  plugins: string[];
  /** Relative path of the theme config that was read, or null when the theme has none. */
  themeConfig: string | null;
  /** Active sources in discovery order (empty folders included). */
  sources: Source[];
  /** All files of the active sources, in execution order. */
  files: MigrationFile[];
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/** The entries of `dir`, or none when it does not exist (a missing folder is normal here). */
function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Sub-folders of `dir` (none when it does not exist), sorted; one system call. */
function listDirectories(dir: string): string[] {
  return entriesOf(dir)
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

/** Names of the themes present in `contents/themes`. */
export function availableThemes(root: string): string[] {
  return listDirectories(path.join(root, 'contents', 'themes'));
}

/** Names of the plugins present in `contents/plugins`. */
export function availablePlugins(root: string): string[] {
  return listDirectories(path.join(root, 'contents', 'plugins'));
}

function checkName(kind: 'theme' | 'plugin', name: string, origin: string): void {
  if (!isSafeSegment(name)) {
    throw new MigrateError('INVALID_NAME', `${kind} name ${JSON.stringify(name)} (from ${origin}) is not a plain folder name`, {
      hint: `A ${kind} name is a folder of contents/${kind}s: no "/", "\\", ".." or leading dot.`,
    });
  }
}

/** The theme config file, `config/theme.config.ts` first, then `theme.config.ts`. */
export function themeConfigPath(root: string, theme: string): string | null {
  for (const candidate of [path.join('config', 'theme.config.ts'), 'theme.config.ts']) {
    const full = path.join(root, 'contents', 'themes', theme, candidate);
    if (existsSync(full)) return full;
  }
  return null;
}

/** Resolves the active theme and its plugins; validates names and folders. */
export function resolveActiveSetup(root: string, theme: string | undefined, themeOrigin: string): { theme: string; plugins: string[]; themeConfig: string | null } {
  if (!theme) {
    throw new MigrateError('CONFIG', 'no active theme: set NEXT_PUBLIC_ACTIVE_THEME or pass --theme', {
      hint: `Available themes: ${availableThemes(root).join(', ') || '(none in contents/themes)'}.`,
    });
  }
  checkName('theme', theme, themeOrigin);
  const themeDir = path.join(root, 'contents', 'themes', theme);
  if (!existsSync(themeDir) || !statSync(themeDir).isDirectory()) {
    const available = availableThemes(root);
    throw new MigrateError('THEME_NOT_FOUND', `theme "${theme}" (from ${themeOrigin}) not found: ${toPosix(path.relative(root, themeDir))} does not exist`, {
      hint: available.length > 0 ? `Available themes: ${available.join(', ')}.` : 'contents/themes holds no theme.',
    });
  }
  const configFile = themeConfigPath(root, theme);
  const configRel = configFile ? toPosix(path.relative(root, configFile)) : null;
  const listed = configFile ? readPluginsFromThemeConfig(readFileSync(configFile, 'utf8'), configRel!) : [];
  const plugins: string[] = [];
  for (const plugin of listed) {
    checkName('plugin', plugin, configRel ?? 'theme config');
    const pluginDir = path.join(root, 'contents', 'plugins', plugin);
    if (!existsSync(pluginDir) || !statSync(pluginDir).isDirectory()) {
      throw new MigrateError('PLUGIN_NOT_FOUND', `plugin "${plugin}" listed in ${configRel} not found: looked for ${toPosix(path.relative(root, pluginDir))}`, {
        file: configRel ?? undefined,
        hint: 'Add the plugin folder or remove it from the theme\'s plugins list.',
      });
    }
    if (!plugins.includes(plugin)) plugins.push(plugin);
  }
  return { theme, plugins, themeConfig: configRel };
}

/** The content folders (own and settings areas) of one theme or plugin. */
export function contentSources(root: string, kind: 'theme' | 'plugin', name: string): Source[] {
  const base = `contents/${kind}s/${name}`;
  const sources: Source[] = [
    { tier: kind, table: '_content_migrations', sourceType: kind, sourceName: name, entity: null, entityDepth: 0, dir: `${base}/migrations`, entityDir: null },
  ];
  for (const area of listDirectories(path.join(root, base, 'settings'))) {
    sources.push({
      tier: `${kind}-settings`,
      table: '_content_migrations',
      sourceType: `${kind}-settings`,
      sourceName: `${name}/settings/${area}`,
      entity: null,
      entityDepth: 0,
      dir: `${base}/settings/${area}/migrations`,
      entityDir: null,
    });
  }
  return sources;
}

/** The entity folders (children included, at any depth) of one theme or plugin. */
export function entitySources(root: string, kind: 'theme' | 'plugin', name: string): Source[] {
  const sources: Source[] = [];
  const visit = (entityDir: string, entity: string, depth: number) => {
    sources.push({
      tier: 'entity',
      table: '_entity_migrations',
      sourceType: kind,
      sourceName: name,
      entity,
      entityDepth: depth,
      dir: `${entityDir}/migrations`,
      entityDir,
    });
    // Children nest at any depth; `childs/` is the legacy folder name. One listing of
    // the entity folder tells which of the two exist.
    const inside = listDirectories(path.join(root, entityDir));
    for (const childFolder of ['children', 'childs']) {
      if (!inside.includes(childFolder)) continue;
      for (const child of listDirectories(path.join(root, entityDir, childFolder))) {
        visit(`${entityDir}/${childFolder}/${child}`, child, depth + 1);
      }
    }
  };
  const entitiesDir = `contents/${kind}s/${name}/entities`;
  for (const entity of listDirectories(path.join(root, entitiesDir))) visit(`${entitiesDir}/${entity}`, entity, 0);
  return sources;
}

/** The core folder, `migrations/`. */
export function coreSource(): Source {
  return { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir: 'migrations', entityDir: null };
}

/** All sources of the active setup, in discovery order. */
export function activeSources(root: string, theme: string, plugins: readonly string[]): Source[] {
  return [
    coreSource(),
    ...contentSources(root, 'theme', theme),
    ...plugins.flatMap((p) => contentSources(root, 'plugin', p)),
    ...entitySources(root, 'theme', theme),
    ...plugins.flatMap((p) => entitySources(root, 'plugin', p)),
  ];
}

/** Reads the `.sql` files of one source folder (none when the folder does not exist). */
export function readSourceFiles(root: string, source: Source): MigrationFile[] {
  const dir = path.join(root, source.dir);
  const files: MigrationFile[] = [];
  for (const entry of entriesOf(dir)) {
    if (!entry.isFile() || !entry.name.endsWith('.sql')) continue;
    const bytes = readFileSync(path.join(dir, entry.name));
    let text: string | null = null;
    let invalid: InvalidUtf8 | null | undefined;
    files.push({
      source,
      filename: entry.name,
      path: `${source.dir}/${entry.name}`,
      number: leadingNumber(entry.name),
      // Decoded on first use: a run with nothing pending never needs the text.
      get content() {
        text ??= bytes.toString('utf8');
        return text;
      },
      checksum: checksumOfBytes(bytes),
      sampleData: isSampleData(entry.name),
      // Checked on first use too: only files about to run (and db:verify) need it.
      get invalidUtf8() {
        if (invalid === undefined) invalid = findInvalidUtf8(bytes);
        return invalid;
      },
    });
  }
  return files;
}

/** Discovers the active setup and every migration file in it, in execution order. */
export function discover(root: string, theme: string | undefined, themeOrigin = 'NEXT_PUBLIC_ACTIVE_THEME'): Discovery {
  const setup = resolveActiveSetup(root, theme, themeOrigin);
  const sources = activeSources(root, setup.theme, setup.plugins);
  const sourceOrder = new Map(sources.map((s, i) => [s.dir, i]));
  const files = orderForExecution(
    sources.flatMap((s) => readSourceFiles(root, s)),
    sourceOrder,
  );
  return { root, ...setup, sources, files };
}
