#!/usr/bin/env node
// Builds the package into dist/: the JavaScript bundled by esbuild (index.js, the
// API; cli.js, the command line's `main`; bin.js, which runs it; the verifier, the
// scaffolder and each database adapter split into chunks loaded on demand), and
// the type declarations by tsc (dist/types). `npm run build`; `npm test` builds
// first; the repository's db:* scripts rebuild the bundle when src/ is newer.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** The JavaScript of the package (dist/*.js, dist/chunks/). */
export async function buildBundle() {
  // Loaded here, not at the top: the db:* scripts import this file on every run.
  const { build } = await import('esbuild');
  rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts', bin: 'src/cli/bin.ts' },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies are installed beside the package: never copied into the bundle.
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
}

/** The type declarations of the public API (dist/types). */
export function buildTypes() {
  rmSync(path.join(dist, 'types'), { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds the bundle when it is missing, and rebuilds it when a file of src/ is newer
 * and the script was started by `npm run db:*` (a developer's edit-and-run loop).
 * Started directly (`node scripts/db.mjs`, as the test suite does, many at once), a
 * built bundle is used as it is: concurrent rebuilds, or a rebuild from a half-edited
 * tree, would pull the code out from under other runs.
 */
export async function ensureBundle() {
  let built = 0;
  try {
    built = statSync(path.join(dist, 'cli.js')).mtimeMs;
  } catch {
    /* not built yet */
  }
  const byNpmRun = (process.env.npm_lifecycle_event ?? '').startsWith('db:');
  if (built === 0 || (byNpmRun && newestIn(path.join(root, 'src')) > built)) await buildBundle();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  rmSync(dist, { recursive: true, force: true });
  await buildBundle();
  buildTypes();
}
