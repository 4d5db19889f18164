// Discovery: from a project root and an active theme to the list of sources
// (migration folders) and the files in them. File system only; no database.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InvalidUtf8, MigrationFile, Source } from '../core/types.js';
import { MigrateError } from '../core/errors.js';
import { isSafeSegment, isSampleData, leadingNumber } from '../core/naming.js';
import { checksumOfBytes } from '../core/checksum.js';
import { findInvalidUtf8 } from '../core/encoding.js';
import { orderForExecution } from '../core/order.js';
import { isDownFilename, upFilenameOf } from '../core/down-files.js';
import { readThemePlugins } from './theme-config-cache.js';
import type { CoreLocation } from './core-dir.js';

/** What discovery needs to know about a project. */
export interface DiscoverOptions {
  root: string;
  /** The active theme; undefined is a CONFIG error naming the available themes. */
  theme: string | undefined;
  /** Where the theme name came from, for messages (`--theme`, `NEXT_PUBLIC_ACTIVE_THEME`). */
  themeOrigin?: string;
  /** Where the core tier is read from (see core-dir.ts). */
  core: CoreLocation;
}

export interface Discovery {
  root: string;
  core: CoreLocation;
  theme: string;
  plugins: string[];
  /** Relative path of the theme config that was read, or null when the theme has none. */
  themeConfig: string | null;
  /** Active sources in discovery order (empty folders included). */
  sources: Source[];
  /** All files of the active sources, in execution order. */
  files: MigrationFile[];
  /** Down files of the active sources that match no migration (warned about, never run). */
  orphanDownFiles: MigrationFile[];
}

const toPosix = (p: string) => p.split(path.sep).join('/');

type Kind = 'file' | 'directory';

interface Entry {
  name: string;
  /** The real path, when the entry is a symbolic link (followed because it stays in the project). */
  real: string | null;
}

const isInside = (child: string, base: string) => child === base || child.startsWith(base.endsWith(path.sep) ? base : base + path.sep);

/**
 * Where a link may lead: into the project, or into a node_modules folder packages
 * are installed in (the project's or one above it, as Node resolves them; a
 * workspace links its packages there from elsewhere, hence the path as written too).
 */
function linkAllowed(root: string, written: string, real: string): boolean {
  const realRoot = realpathSync(root);
  if (isInside(real, realRoot)) return true;
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    if (isInside(written, modules)) return true;
    try {
      if (isInside(real, realpathSync(modules))) return true;
    } catch {
      /* no node_modules here */
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * What the symbolic link at `link` leads to, when that is a `kind`: null when it is
 * something else (not a migration file or folder, so not our business). A link that
 * leads nowhere, or outside the project, is a configuration error: never skipped silently.
 */
function followLink(root: string, link: string, kind: Kind): Entry['real'] {
  const rel = toPosix(path.relative(root, link));
  let written = '(unreadable)';
  try {
    written = readlinkSync(link);
  } catch {
    /* named as unreadable in the message */
  }
  let stats;
  try {
    stats = statSync(link);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MigrateError('CONFIG', `${rel} is a symbolic link to ${written}, which does not exist`, {
        file: rel,
        hint: 'Fix the link or remove it: what it should point to is not there, so nothing of it can run.',
      });
    }
    if (code === 'ELOOP') throw new MigrateError('CONFIG', `${rel} is a symbolic link to ${written}, which leads back to itself`, { hint: 'Fix the link or remove it.' });
    throw error;
  }
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) return null;
  const real = realpathSync(link);
  if (!linkAllowed(root, path.resolve(path.dirname(link), written), real)) {
    throw new MigrateError('CONFIG', `${rel} is a symbolic link to ${written}${real !== written ? ` (${real})` : ''}, outside the project`, {
      file: rel,
      hint: `Links are followed only into the project (${root}) and its node_modules: copy the ${kind} into the project, or install it as a package.`,
    });
  }
  return real;
}

/** Whether `full` is a `kind` (following a link that stays in the project); false when it does not exist. */
function isKind(root: string, full: string, kind: Kind): boolean {
  let stats;
  try {
    stats = lstatSync(full, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw error;
  }
  if (!stats) return false;
  if (stats.isSymbolicLink()) return followLink(root, full, kind) !== null;
  return kind === 'file' ? stats.isFile() : stats.isDirectory();
}

/**
 * The entries of folder `dir` that are a `kind` and have a wanted name (none when the
 * folder does not exist). One readdir; a stat only for the folder and for links.
 */
function entriesOf(root: string, dir: string, kind: Kind, wanted: (name: string) => boolean): Entry[] {
  if (!isKind(root, dir, 'directory')) return [];
  const entries: Entry[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (!wanted(d.name)) continue;
    if (d.isSymbolicLink()) {
      const real = followLink(root, path.join(dir, d.name), kind);
      if (real !== null) entries.push({ name: d.name, real });
    } else if (kind === 'file' ? d.isFile() : d.isDirectory()) {
      entries.push({ name: d.name, real: null });
    }
  }
  return entries;
}

const notHidden = (name: string) => !name.startsWith('.');

/** Sub-folders of `dir` (none when it does not exist), sorted by name. */
function listDirectories(root: string, dir: string, wanted: (name: string) => boolean = notHidden): Entry[] {
  return entriesOf(root, dir, 'directory', wanted).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names of the themes present in `contents/themes`. */
export function availableThemes(root: string): string[] {
  return listDirectories(root, path.join(root, 'contents', 'themes')).map((e) => e.name);
}

/** Names of the plugins present in `contents/plugins`. */
export function availablePlugins(root: string): string[] {
  return listDirectories(root, path.join(root, 'contents', 'plugins')).map((e) => e.name);
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
export async function resolveActiveSetup(root: string, theme: string | undefined, themeOrigin: string): Promise<{ theme: string; plugins: string[]; themeConfig: string | null }> {
  if (!theme) {
    throw new MigrateError('CONFIG', 'no active theme: set NEXT_PUBLIC_ACTIVE_THEME or pass --theme', {
      hint: `Available themes: ${availableThemes(root).join(', ') || '(none in contents/themes)'}.`,
    });
  }
  checkName('theme', theme, themeOrigin);
  const themeDir = path.join(root, 'contents', 'themes', theme);
  if (!isKind(root, themeDir, 'directory')) {
    const available = availableThemes(root);
    throw new MigrateError('THEME_NOT_FOUND', `theme "${theme}" (from ${themeOrigin}) not found: ${toPosix(path.relative(root, themeDir))} does not exist`, {
      hint: available.length > 0 ? `Available themes: ${available.join(', ')}.` : 'contents/themes holds no theme.',
    });
  }
  const configFile = themeConfigPath(root, theme);
  const configRel = configFile ? toPosix(path.relative(root, configFile)) : null;
  const listed = configFile ? await readThemePlugins(root, configFile, configRel!) : [];
  const plugins: string[] = [];
  for (const plugin of listed) {
    checkName('plugin', plugin, configRel ?? 'theme config');
    const pluginDir = path.join(root, 'contents', 'plugins', plugin);
    if (!isKind(root, pluginDir, 'directory')) {
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
  for (const { name: area } of listDirectories(root, path.join(root, base, 'settings'))) {
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
  // Real paths of the linked entity folders being visited: a link back into one would nest without end.
  const visit = (entityDir: string, entity: string, depth: number, linked: ReadonlySet<string>) => {
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
    const inside = listDirectories(root, path.join(root, entityDir), (n) => n === 'children' || n === 'childs');
    for (const { name: childFolder } of inside) {
      for (const child of listDirectories(root, path.join(root, entityDir, childFolder))) {
        const childDir = `${entityDir}/${childFolder}/${child.name}`;
        if (child.real !== null && linked.has(child.real)) {
          throw new MigrateError('CONFIG', `${childDir} is a symbolic link to ${child.real}, a folder that contains it`, {
            hint: 'Entity folders would nest without end: link to the child entity itself, or copy it.',
          });
        }
        visit(childDir, child.name, depth + 1, child.real === null ? linked : new Set([...linked, child.real]));
      }
    }
  };
  const entitiesDir = `contents/${kind}s/${name}/entities`;
  for (const entity of listDirectories(root, path.join(root, entitiesDir))) {
    visit(`${entitiesDir}/${entity.name}`, entity.name, 0, entity.real === null ? new Set() : new Set([entity.real]));
  }
  return sources;
}

/** The core folder (`dir` relative to the root: the shipped core, or a fork's own folder). */
export function coreSource(dir: string): Source {
  return { tier: 'core', table: '_migrations', sourceType: null, sourceName: null, entity: null, entityDepth: 0, dir, entityDir: null };
}

/** All sources of the active setup, in discovery order. */
export function activeSources(root: string, core: CoreLocation, theme: string, plugins: readonly string[]): Source[] {
  return [
    coreSource(core.dir),
    ...contentSources(root, 'theme', theme),
    ...plugins.flatMap((p) => contentSources(root, 'plugin', p)),
    ...entitySources(root, 'theme', theme),
    ...plugins.flatMap((p) => entitySources(root, 'plugin', p)),
  ];
}

/** The migrations of one source folder, and its down files that match no migration. */
export interface SourceFolder {
  /** Migrations, each with its down file attached (`down`). */
  files: MigrationFile[];
  /** Down files without a migration of the same name (a warning: core/down-files.ts). */
  orphanDownFiles: MigrationFile[];
}

/**
 * Reads the `.sql` files of one source folder (none when the folder does not exist).
 * Down files (`NNN_name.down.sql`) are attached to their migration, never listed as one.
 */
export function readSourceFolder(root: string, source: Source): SourceFolder {
  const dir = path.join(root, source.dir);
  const files: MigrationFile[] = [];
  const downs = new Map<string, MigrationFile>();
  for (const entry of entriesOf(root, dir, 'file', (n) => n.endsWith('.sql'))) {
    const file = readFile(source, dir, entry.name);
    if (isDownFilename(entry.name)) downs.set(upFilenameOf(entry.name), file);
    else files.push(file);
  }
  for (const file of files) {
    file.down = downs.get(file.filename) ?? null;
    downs.delete(file.filename);
  }
  return { files, orphanDownFiles: [...downs.values()] };
}

/** Reads the migrations of one source folder (see readSourceFolder). */
export function readSourceFiles(root: string, source: Source): MigrationFile[] {
  return readSourceFolder(root, source).files;
}

function readFile(source: Source, dir: string, name: string): MigrationFile {
  const bytes = readFileSync(path.join(dir, name));
  let text: string | null = null;
  let invalid: InvalidUtf8 | null | undefined;
  return {
    source,
    filename: name,
    path: `${source.dir}/${name}`,
    number: leadingNumber(name),
    // Decoded on first use: a run with nothing pending never needs the text.
    get content() {
      text ??= bytes.toString('utf8');
      return text;
    },
    checksum: checksumOfBytes(bytes),
    sampleData: isSampleData(name),
    // Checked on first use too: only files about to run (and db:verify) need it.
    get invalidUtf8() {
      if (invalid === undefined) invalid = findInvalidUtf8(bytes);
      return invalid;
    },
  };
}

/** Discovers the active setup and every migration file in it, in execution order. */
export async function discover(options: DiscoverOptions): Promise<Discovery> {
  const { root, core } = options;
  const setup = await resolveActiveSetup(root, options.theme, options.themeOrigin ?? 'NEXT_PUBLIC_ACTIVE_THEME');
  const sources = activeSources(root, core, setup.theme, setup.plugins);
  const sourceOrder = new Map(sources.map((s, i) => [s.dir, i]));
  const folders = sources.map((s) => readSourceFolder(root, s));
  const files = orderForExecution(
    folders.flatMap((f) => f.files),
    sourceOrder,
  );
  return { root, core, ...setup, sources, files, orphanDownFiles: folders.flatMap((f) => f.orphanDownFiles) };
}
