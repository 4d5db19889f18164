// Which modules a command loads: the "loads only what it needs" target. The
// command runs once under bench/trace-loads.mjs; the files it loaded are grouped
// into packages and into our own source folders.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandSpec } from './measure.js';

export interface LoadReport {
  /** npm packages, with the number of their files loaded. */
  packages: Record<string, number>;
  /** Our bundled modules (entries and chunks), relative to the snapshot's dist/. */
  ours: string[];
}

/**
 * Packages that `migrate` on a server has no use for (issues 5 and 8): the SQL
 * parser, PGlite, the theme-config parser (a project without a theme config), and
 * the build tools (esbuild: the installed command never rebuilds its bundle).
 */
export const UNWANTED_ON_SERVER = ['oxc-parser', '@oxc-parser/binding-linux-x64-gnu', '@babel/parser', 'libpg-query', '@electric-sql/pglite', 'better-auth', 'typescript', 'esbuild'];

export function withLoadTrace(spec: CommandSpec, traceFile: string, repoRoot: string): CommandSpec {
  return {
    ...spec,
    args: ['--import', path.join(repoRoot, 'bench', 'trace-loads.mjs'), ...spec.args],
    env: { ...spec.env, BENCH_TRACE_LOADS: traceFile },
  };
}

/** Reads a trace; `engineRoot` holds the `dist/` whose modules are ours. */
export async function readLoadTrace(traceFile: string, engineRoot: string): Promise<LoadReport> {
  const files = (await readFile(traceFile, 'utf8')).split('\n').filter(Boolean);
  const packages: Record<string, number> = {};
  const ours: string[] = [];
  const dist = path.join(engineRoot, 'dist') + path.sep;
  for (const file of files) {
    const nm = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    if (file.startsWith(dist)) {
      ours.push(file.slice(dist.length));
    } else if (nm >= 0) {
      const parts = file.slice(nm + '/node_modules/'.length).split(path.sep);
      const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      packages[name] = (packages[name] ?? 0) + 1;
    }
  }
  return { packages, ours };
}

/** What each import costs in a fresh Node process (median of `runs`), in ms. */
export interface ImportTime {
  module: string;
  medianMs: number | null;
  error?: string;
}

/** Imports measured: our CLI entry (everything it imports statically) and the heavy packages. */
export function importProbes(engineRoot: string): { module: string; code: string }[] {
  const main = pathToFileURL(path.join(engineRoot, 'dist', 'cli.js')).href;
  return [
    { module: 'our CLI entry (dist/cli.js and its static imports)', code: `await import(${JSON.stringify(main)})` },
    { module: 'pg', code: `await import('pg')` },
    { module: 'oxc-parser', code: `await import('oxc-parser')` },
    { module: 'libpg-query (import + WASM load)', code: `const m = await import('libpg-query'); await m.loadModule()` },
    { module: '@electric-sql/pglite (import only)', code: `await import('@electric-sql/pglite')` },
  ];
}

/** A node command that times `code` and prints the milliseconds. */
export function importTimer(node: string, repoRoot: string, code: string): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
  const script = `const t = performance.now(); ${code}; process.stdout.write(String(performance.now() - t));`;
  return { file: node, args: ['--input-type=module', '-e', script], cwd: repoRoot, env: {} };
}
