// Reads what a theme config lists, remembering it by the config's SHA-256 in
// node_modules/.cache so that a run whose config did not change skips loading the
// TypeScript parser (most of a no-op run is process start; this is a tenth of it).
// A stale entry is impossible: a changed file has another key.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadThemeConfigParser, readPluginsFromThemeConfig, themeConfigKey } from './theme-config.js';

const CACHE_VERSION = 1;

/** In the nearest node_modules at or above the project root (where npm keeps caches). */
function cacheFile(root: string): string | null {
  for (let dir = path.resolve(root), depth = 0; depth < 8; depth++) {
    const modules = path.join(dir, 'node_modules');
    if (existsSync(modules)) return path.join(modules, '.cache', 'tiered-migrate', 'theme-config.json');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function readCache(file: string): Record<string, string[]> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; entries?: Record<string, string[]> };
    return data.version === CACHE_VERSION && data.entries ? data.entries : {};
  } catch {
    return {};
  }
}

/** Configs read by this process, by content hash (`db:verify --all` reads each theme's once). */
const readThisProcess = new Map<string, string[]>();

/**
 * The plugins listed by the theme config at `configFile` (`configRel` names it in
 * errors): from the cache when its content is known, else by parsing it (and
 * remembering the result). Errors are THEME_CONFIG errors with file:line:column.
 */
export async function readThemePlugins(root: string, configFile: string, configRel: string): Promise<string[]> {
  const source = readFileSync(configFile, 'utf8');
  const key = themeConfigKey(source);
  const seen = readThisProcess.get(key);
  if (seen) return [...seen];
  const file = cacheFile(root);
  const entries = file ? readCache(file) : {};
  const cached = entries[key];
  if (Array.isArray(cached) && cached.every((p) => typeof p === 'string')) {
    readThisProcess.set(key, cached);
    return [...cached];
  }
  const plugins = readPluginsFromThemeConfig(await loadThemeConfigParser(), source, configRel);
  readThisProcess.set(key, plugins);
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ version: CACHE_VERSION, entries: { ...entries, [key]: plugins } }));
    } catch {
      /* a read-only install: no cache, only a slower start */
    }
  }
  return [...plugins];
}
