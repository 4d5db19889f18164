// Which modules a command loads: the "loads only what it needs" target. The
// command runs once under bench/trace-loads.mjs; the files it loaded are grouped
// into packages and into our own source folders.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandSpec } from './measure.js';

export interface LoadReport {
  /** npm packages, with the number of their files loaded. */
  packages: Record<string, number>;
  /** Our compiled modules, relative to dist/src. */
  ours: string[];
}

/** Packages that `db:migrate` on a server has no use for (issue 5, "process start"). */
export const UNWANTED_ON_SERVER = ['oxc-parser', '@oxc-parser/binding-linux-x64-gnu', '@babel/parser', 'libpg-query', '@electric-sql/pglite', 'better-auth', 'typescript'];

export function withLoadTrace(spec: CommandSpec, traceFile: string, repoRoot: string): CommandSpec {
  return {
    ...spec,
    args: ['--import', path.join(repoRoot, 'bench', 'trace-loads.mjs'), ...spec.args],
    env: { ...spec.env, BENCH_TRACE_LOADS: traceFile },
  };
}

/** Reads a trace; `engineRoot` holds the `dist/src` whose modules are ours. */
export async function readLoadTrace(traceFile: string, engineRoot: string): Promise<LoadReport> {
  const files = (await readFile(traceFile, 'utf8')).split('\n').filter(Boolean);
  const packages: Record<string, number> = {};
  const ours: string[] = [];
  const distSrc = path.join(engineRoot, 'dist', 'src') + path.sep;
  for (const file of files) {
    const nm = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    if (file.startsWith(distSrc)) {
      ours.push(file.slice(distSrc.length));
    } else if (nm >= 0) {
      const parts = file.slice(nm + '/node_modules/'.length).split(path.sep);
      const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      packages[name] = (packages[name] ?? 0) + 1;
    }
  }
  return { packages, ours };
}
