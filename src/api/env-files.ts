// Loads `.env` files with Next.js precedence, so the migration tool sees the
// same configuration as the app: variables already in the process win, then
// `.env.<mode>.local`, `.env.local` (skipped when mode is `test`), `.env.<mode>`, `.env`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** Expands `$NAME` and `${NAME}` from the variables known so far (`\$` keeps a dollar). */
function expand(value: string, lookup: (name: string) => string | undefined): string {
  return value.replace(/\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, bare?: string) => {
    if (match === '\\$') return '$';
    return lookup((braced ?? bare)!) ?? '';
  });
}

/** The files that would be read, highest precedence first. */
export function envFileNames(mode: string): string[] {
  return [`.env.${mode}.local`, ...(mode === 'test' ? [] : ['.env.local']), `.env.${mode}`, '.env'];
}

/**
 * Fills `env` (normally process.env) from the project's env files and returns the
 * names of the files that were read.
 */
export function loadEnvFiles(root: string, env: NodeJS.ProcessEnv): string[] {
  const mode = env.NODE_ENV || 'development';
  const loaded: string[] = [];
  const fromFiles: Record<string, string> = {};
  // Lowest precedence first, so later files overwrite earlier ones.
  for (const name of envFileNames(mode).reverse()) {
    let text: string;
    try {
      text = readFileSync(path.join(root, name), 'utf8');
    } catch {
      continue;
    }
    Object.assign(fromFiles, parseEnv(text));
    loaded.push(name);
  }
  const preset = new Set(Object.keys(env).filter((k) => env[k] !== undefined));
  const lookup = (name: string) => (preset.has(name) ? env[name] : fromFiles[name] !== undefined ? resolved(name) : undefined);
  const seen = new Set<string>();
  const resolved = (name: string): string => {
    if (seen.has(name)) return fromFiles[name] ?? ''; // a cycle: leave the value unexpanded
    seen.add(name);
    const value = expand(fromFiles[name] ?? '', lookup);
    seen.delete(name);
    return value;
  };
  for (const name of Object.keys(fromFiles)) {
    if (!preset.has(name)) env[name] = resolved(name);
  }
  return loaded.reverse();
}
