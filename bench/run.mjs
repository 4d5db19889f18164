#!/usr/bin/env node
// `npm run bench`: installs what the benchmark needs, builds its harness, runs it.
// See `npm run bench -- --help`.
//
// The benchmark is not part of the package. Its peers (dbmate, node-pg-migrate)
// are the dependencies of bench/package.json, installed into bench/node_modules
// from bench/package-lock.json when that install is missing or older than the
// lock file. The install is `npm install --no-save`, not `npm ci`: the registry
// here serves only dbmate's linux-x64 build, so its other optional platform
// packages cannot be in the lock file and `npm ci` refuses it; `npm install`
// still installs the locked versions and skips the platform packages it cannot
// find, and `--no-save` keeps a run from rewriting the lock file.
//
// The harness (bench/*.ts) is built by bench/tsconfig.json into bench/dist/, with
// the repository's TypeScript, so `dbmate` resolves from bench/node_modules. The
// engine it measures is the package's own build: `npm run build` (dist/), run as
// an app runs it (bin/tiered-migrate.mjs), with its dependencies in the
// repository's node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

/** Runs a build step with its output on stderr (stdout carries the report); exits on failure. */
function step(what, file, args) {
  const result = spawnSync(file, args, { cwd: benchDir, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) {
    process.stderr.write(`bench: ${what} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})\n`);
    process.exit(2);
  }
}

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : -Infinity);

// npm rewrites node_modules/.package-lock.json on every install: older than the
// lock file or package.json means the install predates a change of either.
const installed = mtime(path.join(benchDir, 'node_modules', '.package-lock.json'));
const peersPresent = ['dbmate', 'node-pg-migrate'].every((name) => existsSync(path.join(benchDir, 'node_modules', name, 'package.json')));
if (!peersPresent || installed < mtime(path.join(benchDir, 'package-lock.json')) || installed < mtime(path.join(benchDir, 'package.json'))) {
  process.stderr.write('bench: installing the benchmark peers into bench/node_modules\n');
  // Under `npm run`, npm_execpath is the npm that runs us; elsewhere the one on PATH.
  const npm = process.env.npm_execpath;
  const args = ['install', '--no-save', '--no-audit', '--no-fund'];
  if (npm?.endsWith('.js')) step('npm install in bench/', process.execPath, [npm, ...args]);
  else step('npm install in bench/', 'npm', args);
}

// Incremental (bench/dist/.tsbuildinfo): a build with nothing changed takes a moment.
const tsc = createRequire(path.join(benchDir, '..', 'package.json')).resolve('typescript/bin/tsc');
step('building the harness (tsc -p bench/tsconfig.json)', process.execPath, [tsc, '-p', path.join(benchDir, 'tsconfig.json')]);

const { main } = await import(new URL('./dist/main.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
