// Loads the app's `.env` files with Next.js's own loader (@next/env), so that the
// migration tool sees exactly the configuration the app sees: the same files
// (`.env.<mode>.local`, `.env.local` except in test, `.env.<mode>`, `.env`), the
// same precedence (variables already set win) and the same `$VAR` expansion.
import { createRequire } from 'node:module';

type NextEnv = typeof import('@next/env');
const require = createRequire(import.meta.url);

/**
 * Fills `env` from the project's env files and returns the names of the files that
 * were read, highest precedence first. The mode is NODE_ENV's (`development` when
 * unset), as `next dev` / `next start` would choose it.
 *
 * Next's loader works on `process.env` and remembers the first environment it saw in
 * module state; so each call gets a fresh instance of it and, for the length of the
 * (synchronous) call, a `process.env` holding only `env`. The process's own
 * environment is left exactly as it was.
 */
export function loadEnvFiles(root: string, env: Record<string, string | undefined>): string[] {
  const id = require.resolve('@next/env');
  delete require.cache[id];
  const next = require(id) as NextEnv;
  const own = process.env;
  const scratch: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) scratch[key] = value;
  process.env = scratch;
  let loaded: { path: string }[];
  try {
    const silent = { info: () => undefined, error: () => undefined };
    loaded = next.loadEnvConfig(root, scratch.NODE_ENV !== 'production', silent, true).loadedEnvFiles;
  } finally {
    process.env = own;
    delete require.cache[id];
  }
  delete scratch.__NEXT_PROCESSED_ENV;
  for (const [key, value] of Object.entries(scratch)) env[key] = value;
  return loaded.map((f) => f.path);
}
