// Every setup of the project, for `db:verify --all`: each theme with the plugins
// its config lists, and each plugin no theme lists (with core alone). A file shared
// by several setups (core, a plugin used by two themes) is read once.
import type { MigrationFile, Source } from '../core/types.js';
import { orderForExecution } from '../core/order.js';
import type { CoreLocation } from './core-dir.js';
import { activeSources, availablePlugins, availableThemes, contentSources, coreSource, entitySources, readSourceFiles, resolveActiveSetup } from './project.js';

export interface ProjectSetup {
  /** e.g. `theme default (plugins ai, billing)`, `plugin legacy (in no theme)`. */
  label: string;
  theme: string | null;
  plugins: string[];
  sources: Source[];
  /** In execution order. */
  files: MigrationFile[];
}

/** Describes a theme setup the way verification reports name it. */
export function setupLabel(theme: string | null, plugins: readonly string[]): string {
  if (theme === null) return `plugin ${plugins.join(', ')} (in no theme)`;
  return `theme ${theme}${plugins.length > 0 ? ` (plugins ${plugins.join(', ')})` : ''}`;
}

export async function discoverAll(root: string, core: CoreLocation): Promise<ProjectSetup[]> {
  const cache = new Map<string, MigrationFile[]>();
  const filesOf = (sources: Source[]): MigrationFile[] => {
    const order = new Map(sources.map((s, i) => [s.dir, i]));
    const files = sources.flatMap((s) => {
      let list = cache.get(s.dir);
      if (!list) {
        list = readSourceFiles(root, s);
        cache.set(s.dir, list);
      }
      return list;
    });
    return orderForExecution(files, order);
  };

  const setups: ProjectSetup[] = [];
  const used = new Set<string>();
  for (const theme of availableThemes(root)) {
    const { plugins } = await resolveActiveSetup(root, theme, 'contents/themes');
    plugins.forEach((p) => used.add(p));
    const sources = activeSources(root, core, theme, plugins);
    setups.push({ label: setupLabel(theme, plugins), theme, plugins, sources, files: filesOf(sources) });
  }
  for (const plugin of availablePlugins(root)) {
    if (used.has(plugin)) continue;
    const sources = [coreSource(core.dir), ...contentSources(root, 'plugin', plugin), ...entitySources(root, 'plugin', plugin)];
    setups.push({ label: setupLabel(null, [plugin]), theme: null, plugins: [plugin], sources, files: filesOf(sources) });
  }
  if (setups.length === 0) {
    const sources = [coreSource(core.dir)];
    setups.push({ label: 'core', theme: null, plugins: [], sources, files: filesOf(sources) });
  }
  return setups;
}
