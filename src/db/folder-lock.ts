// An exclusive lock on a folder (the embedded database's), without a dependency.
//
// The lock is a directory, `<dir>/.tiered-migrate.lock`, holding one file
// `owner.<token>`; the token names the holder: pid, the process's start time and
// a random part, so that a pid reused by another process (a restarted container
// is pid 1 again) is recognised as stale.
//
// Why it cannot have two holders:
// - It is created whole: a runner builds `<lock>.new.<token>/owner.<token>` and
//   renames that directory to the lock's name. rename(2) onto a name that is absent
//   or an empty directory succeeds for exactly one of several racers; onto a
//   non-empty directory it fails. A lock is never visible without its owner file.
// - A stale lock is broken by unlinking `owner.<token>` of the token judged dead:
//   the name says which holder, so the unlink can only ever remove that one (a
//   racer that judged the same holder gets ENOENT). The now empty directory is
//   free: the next rename onto it (or the rmdir of it, where rename does not
//   replace directories) decides the one new holder.
// - A holder releases by unlinking its own owner file, and the rmdir that follows
//   only removes an empty directory, never someone else's lock.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MigrateError } from '../core/errors.js';

/** The lock's name in the folder. Versions before 0.2 used a file of this name holding a pid: never change. */
export const LOCK_NAME = '.tiered-migrate.lock';
const OWNER_PREFIX = 'owner.';
const NEW_PREFIX = `${LOCK_NAME}.new.`;

/** Who holds (or is about to hold) a lock. */
interface Holder {
  pid: number;
  /** Start time of the process (clock ticks since boot); '' where the system does not tell. */
  started: string;
  token: string;
  /** A lock file written by an older version: a pid only. */
  legacy: boolean;
}

/** Tokens of locks this process holds or is acquiring: a lock naming our pid and another token is not ours. */
const ownTokens = new Set<string>();

/** Start time of a process, from /proc (Linux); '' when unknown. */
function startTimeOf(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

let ownStartTime: string | null = null;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `pid-started-random` → holder, or null when the name is not one of ours. */
export function parseToken(token: string): Holder | null {
  const [pid, started, random, ...rest] = token.split('-');
  if (rest.length > 0 || !pid || !/^\d+$/.test(pid) || started === undefined || !/^\d*$/.test(started) || !random) return null;
  return { pid: Number(pid), started, token, legacy: false };
}

/** Whether the process that wrote `holder` is gone (so its lock can be broken). */
function isStale(holder: Holder): boolean {
  ownStartTime ??= startTimeOf('self');
  if (holder.pid === process.pid) {
    if (ownTokens.has(holder.token)) return false;
    // Another copy of this module in this very process would share pid and start time.
    return !(holder.started !== '' && holder.started === ownStartTime);
  }
  if (!processAlive(holder.pid)) return true;
  if (holder.started === '') return false;
  const now = startTimeOf(holder.pid);
  return now !== '' && now !== holder.started;
}

type LockState = { kind: 'free' } | { kind: 'held'; holder: Holder } | { kind: 'unknown' };

/** What is at the lock's name now. */
function readLock(lock: string): LockState {
  let names: string[];
  try {
    names = readdirSync(lock);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'free' };
    if (code !== 'ENOTDIR') throw error;
    // A lock file of an older version, holding its pid (empty while it is being written).
    let text: string;
    try {
      text = readFileSync(lock, 'utf8');
    } catch {
      return { kind: 'free' };
    }
    const pid = Number.parseInt(text, 10);
    return Number.isFinite(pid) ? { kind: 'held', holder: { pid, started: '', token: `legacy-${pid}`, legacy: true } } : { kind: 'unknown' };
  }
  const owner = names.find((n) => n.startsWith(OWNER_PREFIX));
  if (!owner) return { kind: 'free' }; // broken by a takeover; the next rename onto it wins
  const holder = parseToken(owner.slice(OWNER_PREFIX.length));
  return holder ? { kind: 'held', holder } : { kind: 'unknown' };
}

/** Breaks a stale lock: only the owner file of the holder judged dead can go. */
function breakLock(lock: string, holder: Holder): void {
  try {
    // An older version's file: unlink cannot remove a lock directory that replaced it.
    unlinkSync(holder.legacy ? lock : path.join(lock, OWNER_PREFIX + holder.token));
  } catch {
    /* another waiter broke it first, or it was replaced: look again */
  }
  removeIfEmpty(lock);
}

/** rmdir removes only an empty directory: a held lock never is. Needed where rename does not replace directories (Windows). */
function removeIfEmpty(lock: string): void {
  try {
    rmdirSync(lock);
  } catch {
    /* not empty (held), not a directory, or gone */
  }
}

/** Moves the prepared lock into place; false when the name is taken. */
function tryTake(prepared: string, lock: string): boolean {
  try {
    renameSync(prepared, lock);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    if (code !== 'EPERM' && code !== 'EACCES') throw error;
    // Windows refuses to rename onto any directory: an empty one (a broken lock) is removed
    // and the next attempt takes its place. With no lock there at all, the folder is not writable.
    try {
      rmdirSync(lock);
    } catch (rmdirError) {
      if ((rmdirError as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    }
    return false;
  }
}

/** Removes prepared lock directories left by runners killed while they waited. */
function sweepAbandoned(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(NEW_PREFIX)) continue;
    const holder = parseToken(name.slice(NEW_PREFIX.length));
    if (holder && isStale(holder)) rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Whether a folder entry is the lock's own (the lock, or one being prepared): never data. */
export function isLockEntry(name: string): boolean {
  return name.startsWith(LOCK_NAME);
}

/**
 * The folder's lock for a command that needs the database to itself (reset, restore):
 * a short wait, then a refusal that says what to stop (`whatFor` ends the hint).
 */
export async function takeFolderForCommand(dir: string, whatFor: string): Promise<() => void> {
  try {
    return await acquireFolderLock(dir, 3_000);
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    throw new MigrateError('CONNECTION', error.message, { hint: `Stop the other run (or \`tiered-migrate dev\`) first${whatFor}.`, cause: error });
  }
}

/** Waits (up to `timeoutMs`) for the folder's lock; returns its release function. */
export async function acquireFolderLock(dir: string, timeoutMs = 120_000): Promise<() => void> {
  const lock = path.join(dir, LOCK_NAME);
  ownStartTime ??= startTimeOf('self');
  const token = `${process.pid}-${ownStartTime}-${randomBytes(8).toString('hex')}`;
  const prepared = path.join(dir, NEW_PREFIX + token);
  ownTokens.add(token);
  const deadline = Date.now() + timeoutMs;
  try {
    mkdirSync(prepared);
    writeFileSync(path.join(prepared, OWNER_PREFIX + token), `${process.pid}\n`);
    let quickRetries = 0;
    for (;;) {
      if (tryTake(prepared, lock)) break;
      const state = readLock(lock);
      let retryNow = state.kind === 'free';
      if (state.kind === 'held' && isStale(state.holder)) {
        breakLock(lock, state.holder);
        retryNow = true;
      }
      // Released or broken just now: try again at once (a few times; more means others race for it too).
      if (retryNow && quickRetries++ < 20) continue;
      quickRetries = 0;
      if (Date.now() > deadline) {
        const who = state.kind === 'held' ? `process ${state.holder.pid}` : 'another process';
        throw new MigrateError('CONNECTION', `the embedded database at ${dir} is in use by ${who}`, {
          hint: 'Wait for the other run (or the dev server using it) to finish, then try again.',
        });
      }
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
    }
  } catch (error) {
    ownTokens.delete(token);
    rmSync(prepared, { recursive: true, force: true });
    throw error;
  }
  sweepAbandoned(dir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      unlinkSync(path.join(lock, OWNER_PREFIX + token));
    } catch {
      /* broken by someone who judged us dead: nothing of ours is left */
    }
    removeIfEmpty(lock);
    ownTokens.delete(token);
  };
  process.once('exit', release);
  return release;
}
