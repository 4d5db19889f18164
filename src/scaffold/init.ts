// The `init` operation: sets up an app to use this package. Copies the default
// theme (with its `tasks` entity) and the `ai` and `billing` plugins shipped in
// the package into the app's contents/, adds the db:* scripts to its
// package.json, `.pglite/` to .gitignore and the active theme to .env. Never
// overwrites: a file that exists is skipped, and listed as skipped.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { MigrateError } from '../core/errors.js';
import { isSafeSegment } from '../core/naming.js';
import { packageRoot } from '../discover/core-dir.js';

export interface InitOptions {
  /** The app's root. */
  root: string;
  /** The name of the app's theme folder (contents/themes/<theme>). Default `default`. */
  theme?: string;
}

export interface InitResult {
  theme: string;
  /** Files written, relative to the root. */
  created: string[];
  /** Files that existed and were extended (a script, a line), with what was added. */
  updated: { path: string; added: string[] }[];
  /** What was left as it was, and why. */
  skipped: { path: string; reason: string }[];
}

/** The shipped theme and plugins an app starts from (folders of this package). */
const TEMPLATE_THEME = 'contents/themes/default';
const TEMPLATE_PLUGINS = ['contents/plugins/ai', 'contents/plugins/billing'];

/** The scripts an app gets: the same commands as `npm run db:*` in this repository. */
export const APP_SCRIPTS: Readonly<Record<string, string>> = {
  'db:migrate': 'tiered-migrate migrate',
  'db:status': 'tiered-migrate status',
  'db:verify': 'tiered-migrate verify',
  'db:new': 'tiered-migrate new',
  'db:repair': 'tiered-migrate repair',
  'db:baseline': 'tiered-migrate baseline',
};

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

const toPosix = (p: string) => p.split(path.sep).join('/');

export function initApp(options: InitOptions): InitResult {
  const root = path.resolve(options.root);
  const theme = options.theme ?? 'default';
  if (!isSafeSegment(theme) || !/^[a-z0-9][a-z0-9_-]*$/.test(theme)) {
    throw new MigrateError('USAGE', `theme name ${JSON.stringify(theme)} is not a plain lower-case folder name`, { hint: 'Use letters, digits, - and _: --theme acme.' });
  }
  const result: InitResult = { theme, created: [], updated: [], skipped: [] };
  const shipped = packageRoot();
  if (path.resolve(shipped) === root) {
    throw new MigrateError('USAGE', `${root} is the ${path.basename(shipped)} package itself`, { hint: 'Run init in the root of the app that installs the package.' });
  }

  const copy = (fromDir: string, toDir: string, rewrite?: (rel: string, text: string) => string) => {
    for (const source of filesUnder(path.join(shipped, fromDir))) {
      const rel = toPosix(path.relative(path.join(shipped, fromDir), source));
      const target = `${toDir}/${rel}`;
      const full = path.join(root, target);
      if (existsSync(full)) {
        result.skipped.push({ path: target, reason: 'exists' });
        continue;
      }
      mkdirSync(path.dirname(full), { recursive: true });
      const text = readFileSync(source, 'utf8');
      writeFileSync(full, rewrite ? rewrite(rel, text) : text, { flag: 'wx' });
      result.created.push(target);
    }
  };
  // The theme's config names its own folder; everything else is copied as shipped.
  copy(TEMPLATE_THEME, `contents/themes/${theme}`, (rel, text) =>
    rel.endsWith('theme.config.ts') && theme !== 'default' ? text.replace("name: 'default'", `name: '${theme}'`) : text,
  );
  for (const plugin of TEMPLATE_PLUGINS) copy(plugin, plugin);

  addScripts(root, result);
  addLine(root, '.gitignore', '.pglite/', (line) => ['.pglite', '.pglite/', '/.pglite', '/.pglite/'].includes(line.trim()), result);
  addLine(root, '.env', `NEXT_PUBLIC_ACTIVE_THEME=${theme}`, (line) => /^\s*(export\s+)?NEXT_PUBLIC_ACTIVE_THEME\s*=/.test(line), result);
  return result;
}

function addScripts(root: string, result: InitResult): void {
  const file = path.join(root, 'package.json');
  if (!existsSync(file)) {
    result.skipped.push({ path: 'package.json', reason: 'no package.json here (run npm init first to get the db:* scripts)' });
    return;
  }
  const text = readFileSync(file, 'utf8');
  let manifest: { scripts?: Record<string, string> };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch (error) {
    throw new MigrateError('CONFIG', `package.json is not valid JSON: ${(error as Error).message}`, { file: 'package.json', hint: 'Fix it, then run init again.' });
  }
  const scripts = { ...(manifest.scripts ?? {}) };
  const added: string[] = [];
  for (const [name, command] of Object.entries(APP_SCRIPTS)) {
    if (scripts[name] !== undefined) {
      if (scripts[name] !== command) result.skipped.push({ path: `package.json scripts.${name}`, reason: `already "${scripts[name]}"` });
      continue;
    }
    scripts[name] = command;
    added.push(`scripts.${name}`);
  }
  if (added.length === 0) return;
  // Keep the file's indentation and final newline.
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ';
  writeFileSync(file, `${JSON.stringify({ ...manifest, scripts }, null, indent)}${text.endsWith('\n') ? '\n' : ''}`);
  result.updated.push({ path: 'package.json', added });
}

/** Appends `line` to a text file unless a line already matches `present`; creates the file when missing. */
function addLine(root: string, name: string, line: string, present: (line: string) => boolean, result: InitResult): void {
  const file = path.join(root, name);
  if (!existsSync(file)) {
    writeFileSync(file, `${line}\n`, { flag: 'wx' });
    result.created.push(name);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const existing = text.split(/\r?\n/).find(present);
  if (existing !== undefined) {
    if (existing.trim() !== line) result.skipped.push({ path: name, reason: `already has ${existing.trim()}` });
    return;
  }
  appendFileSync(file, `${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}${line}\n`);
  result.updated.push({ path: name, added: [line] });
}
