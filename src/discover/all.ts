// Every setup of the project, for `db:verify --all`: each theme with the plugins
// its config lists, and each plugin no theme lists (with core alone). A file shared
// by several setups (core, a plugin used by two themes) is read once.
import type { MigrationFile, Source } from '../core/types.js';
import { orderForExecution } from '../core/order.js';
import type { CoreLocation } from './core-dir.js';
import { activeSources, availablePlugins, availableThemes, contentSources, coreSource, entitySources, readSourceFolder, resolveActiveSetup, type SourceFolder } from './project.js';

export interface ProjectSetup {
  /** e.g. `theme default (plugins ai, billing)`, `plugin legacy (in no theme)`. */
  label: string;
  theme: string | null;
  plugins: string[];
  sources: Source[];
  /** In execution order. */
  files: MigrationFile[];
  /** Down files of its sources that match no migration. */
  orphanDownFiles: MigrationFile[];
}

/** Describes a theme setup the way verification reports name it. */
export function setupLabel(theme: string | null, plugins: readonly string[]): string {
  if (theme === null) return `plugin ${plugins.join(', ')} (in no theme)`;
  return `theme ${theme}${plugins.length > 0 ? ` (plugins ${plugins.join(', ')})` : ''}`;
}

export async function discoverAll(root: string, core: CoreLocation): Promise<ProjectSetup[]> {
  const cache = new Map<string, SourceFolder>();
  const folderOf = (s: Source): SourceFolder => {
    let folder = cache.get(s.dir);
    if (!folder) {
      folder = readSourceFolder(root, s);
      cache.set(s.dir, folder);
    }
    return folder;
  };
  const filesOf = (sources: Source[]) => {
    const order = new Map(sources.map((s, i) => [s.dir, i]));
    const folders = sources.map(folderOf);
    return { files: orderForExecution(folders.flatMap((f) => f.files), order), orphanDownFiles: folders.flatMap((f) => f.orphanDownFiles) };
  };

  const setups: ProjectSetup[] = [];
  const used = new Set<string>();
  for (const theme of availableThemes(root)) {
    const { plugins } = await resolveActiveSetup(root, theme, 'contents/themes');
    plugins.forEach((p) => used.add(p));
    const sources = activeSources(root, core, theme, plugins);
    setups.push({ label: setupLabel(theme, plugins), theme, plugins, sources, ...filesOf(sources) });
  }
  for (const plugin of availablePlugins(root)) {
    if (used.has(plugin)) continue;
    const sources = [coreSource(core.dir), ...contentSources(root, 'plugin', plugin), ...entitySources(root, 'plugin', plugin)];
    setups.push({ label: setupLabel(null, [plugin]), theme: null, plugins: [plugin], sources, ...filesOf(sources) });
  }
  if (setups.length === 0) {
    const sources = [coreSource(core.dir)];
    setups.push({ label: 'core', theme: null, plugins: [], sources, ...filesOf(sources) });
  }
  return setups;
}
