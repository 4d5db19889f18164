// Where ours spends its time: one run under `node --cpu-prof`, the profile's
// self time summed by where the code lives (our modules, each package, Node
// itself, the garbage collector, idle time waiting for the server).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandSpec } from './measure.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time of the profiled run (profiling slows it down a little). */
  wallMs: number;
  /** Milliseconds covered by the profile (from the profiler's start to exit): the rest is Node's own start. */
  profiledMs: number;
  /**
   * Time per place, largest first. A sample counts for the innermost frame that is
   * ours or a package's (so `fs` or `crypto` work counts for the code that asked for
   * it); samples with neither are Node's module loader, other built-ins, GC or idle.
   */
  byPlace: { place: string; ms: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; place: string; ms: number }[];
}

/** Adds `--cpu-prof` to a node command, writing the profile into `dir`. */
export function withCpuProfile(spec: CommandSpec, dir: string): CommandSpec {
  return { ...spec, args: ['--cpu-prof', '--cpu-prof-dir', dir, ...spec.args] };
}

/** Where a frame's code lives: `ours: chunks/migrate-….js`, `pkg: pg-protocol`, `node`, or a V8 pseudo-frame. */
export function placeOf(url: string, functionName: string, engineRoot: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('wasm://')) return '(wasm code)';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (file.startsWith('node:') || !file.startsWith('/')) return 'node (built-in modules)';
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return `pkg: ${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const rel = path.relative(path.join(engineRoot, 'dist'), file);
  if (!rel.startsWith('..')) return `ours: ${rel}`;
  return path.relative(engineRoot, file) || file;
}

/** Reads the one `.cpuprofile` in `dir` and sums it up. */
export async function summariseProfile(dir: string, engineRoot: string, wallMs: number): Promise<ProfileSummary> {
  const name = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error(`no .cpuprofile written in ${dir}`);
  const profile = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const owners = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    let loader = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const place = placeOf(frame.url, frame.functionName, engineRoot);
      if (place.startsWith('ours: ') || place.startsWith('pkg: ')) {
        owners.set(id, place);
        return place;
      }
      if (frame.url.startsWith('node:internal/modules/')) loader = true;
    }
    const leaf = byId.get(id)!.callFrame;
    const place = loader ? 'node: module loading (compile, link)' : placeOf(leaf.url, leaf.functionName, engineRoot);
    owners.set(id, place);
    return place;
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const places = new Map<string, number>();
  const functions = new Map<string, { fn: string; place: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName, engineRoot);
    const owner = ownerOf(id);
    places.set(owner, (places.get(owner) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'}${url ? `:${lineNumber + 1}` : ''}`;
    const key = `${place}\u0000${fn}`;
    const entry = functions.get(key) ?? { fn, place, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    wallMs: Math.round(wallMs),
    profiledMs: ms(profile.endTime - profile.startTime),
    byPlace: [...places].map(([place, us]) => ({ place, ms: ms(us) })).sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 12)
      .map((f) => ({ fn: f.fn, place: f.place, ms: ms(f.us) })),
  };
}
