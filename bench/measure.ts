// Runs one command and measures it: wall time from spawn to exit, and peak memory
// from GNU time (`%M`: the largest resident set of the process and the children it
// waited for — every contender here is a single process, so that is the tree's peak).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';

/** A command as the harness runs it; `display` is what a human can paste into a shell. */
export interface CommandSpec {
  file: string;
  args: string[];
  cwd: string;
  /** Variables added to the harness's minimal environment. */
  env: Record<string, string>;
}

export interface Measurement {
  wallMs: number;
  /** Peak resident set in MB, or null when GNU time is not available. */
  peakRssMb: number | null;
  exitCode: number;
  /** True when the run was killed for taking longer than the timeout. */
  timedOut: boolean;
}

/** Children running right now, so an interrupted benchmark can stop exactly those. */
const running = new Set<ChildProcess>();

/** Sends SIGTERM to every command the harness started and that is still running. */
export function stopRunning(): void {
  stopping = true;
  for (const child of running) killGroup(child);
}

/** Set by stopRunning: no command starts after it. */
let stopping = false;

/** Each command runs in a process group of its own (GNU time and what it runs): end the group. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}

const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(GNU_TIME);

/** Only what a command needs from the harness's environment: no DATABASE_URL leaks in. */
export function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TERM'];
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key]!;
  return env;
}

const quote = (s: string) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** The exact command line, with its folder and variables, ready to paste into a shell. */
export function displayCommand(spec: CommandSpec): string {
  const vars = Object.entries(spec.env).map(([k, v]) => `${k}=${quote(v)}`);
  return `cd ${quote(spec.cwd)} && ${vars.length > 0 ? `env ${vars.join(' ')} ` : ''}${[spec.file, ...spec.args].map(quote).join(' ')}`;
}

/**
 * Runs `spec` with stdout and stderr going to `logPath` (the kernel writes them:
 * the harness spends no CPU on a contender's output while it is timed).
 */
export async function measure(spec: CommandSpec, logPath: string, timeoutMs = 300_000): Promise<Measurement> {
  if (stopping) throw new Error('benchmark interrupted: no new commands');
  const rssPath = `${logPath}.rss`;
  const [file, args] = hasGnuTime ? [GNU_TIME, ['-f', '%M', '-o', rssPath, spec.file, ...spec.args]] : [spec.file, spec.args];
  const log = openSync(logPath, 'w');
  let exitCode: number;
  let timedOut = false;
  const started = performance.now();
  try {
    exitCode = await new Promise<number>((resolve, reject) => {
      // detached: a process group of its own, so a timeout or an interrupt ends GNU time
      // and the command together (time does not pass SIGTERM on).
      const child = spawn(file, args, { cwd: spec.cwd, env: { ...baseEnv(), ...spec.env }, stdio: ['ignore', log, log], detached: true });
      running.add(child);
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        running.delete(child);
      };
      child.once('error', (error) => {
        done();
        reject(error);
      });
      child.once('exit', (code, signal) => {
        done();
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  } finally {
    closeSync(log);
  }
  const wallMs = performance.now() - started;
  let peakRssMb: number | null = null;
  if (hasGnuTime) {
    // GNU time writes "Command exited with non-zero status N" before the number on failure.
    const text = await readFile(rssPath, 'utf8').catch(() => '');
    const last = text.trim().split('\n').pop() ?? '';
    const kb = Number(last);
    peakRssMb = Number.isFinite(kb) && last !== '' ? kb / 1024 : null;
    await rm(rssPath, { force: true });
  }
  return { wallMs, peakRssMb, exitCode, timedOut };
}

/** The last lines of a log, for failure messages. */
export async function tail(logPath: string, lines = 15): Promise<string> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
