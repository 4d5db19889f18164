// Remembers what a theme config lists, keyed by the config's SHA-256, in
// node_modules/.cache so that a run whose config did not change skips loading the
// TypeScript parser (most of a no-op run is process start; this is a tenth of it).
// A stale entry is impossible: a changed file has another key.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isSafeSegment } from '../core/naming.js';
import { themeConfigPath } from './project.js';
import { loadThemeConfigParser, readPluginsFromThemeConfig, rememberThemeConfig, themeConfigKey } from './theme-config.js';

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

/**
 * Makes the active theme's config readable by discovery: from the cache when its
 * content is known, else by loading the parser (and remembering the result).
 */
export async function prepareThemeConfig(root: string, theme: string | undefined): Promise<void> {
  const config = theme ? safeConfigPath(root, theme) : null;
  if (!config) return;
  const source = readFileSync(config, 'utf8');
  const key = themeConfigKey(source);
  const file = cacheFile(root);
  const entries = file ? readCache(file) : {};
  const cached = entries[key];
  if (Array.isArray(cached) && cached.every((p) => typeof p === 'string')) {
    rememberThemeConfig(key, cached);
    return;
  }
  await loadThemeConfigParser();
  let plugins: string[];
  try {
    plugins = readPluginsFromThemeConfig(source, path.relative(root, config));
  } catch {
    return; // discovery reports the error with its full context
  }
  if (!file) return;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: CACHE_VERSION, entries: { ...entries, [key]: plugins } }));
  } catch {
    /* a read-only install: no cache, only a slower start */
  }
}

/** The config path, or null when the theme name is unusable (discovery reports that). */
function safeConfigPath(root: string, theme: string): string | null {
  if (!isSafeSegment(theme)) return null;
  return themeConfigPath(root, theme);
}
