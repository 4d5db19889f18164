#!/usr/bin/env node
// Builds the package into dist/: the JavaScript bundled by esbuild (index.js, the
// API; cli.js, the command line's `main`; bin.js, which runs it; one file for the
// command line's start, with the verifier, the scaffolder and each database adapter
// split into chunks loaded on demand), and the type declarations by tsc.
// Run by `npm run build` and by `npm install` in this repository (prepare).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

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
  sourcemap: false,
  logLevel: 'warning',
});

execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
