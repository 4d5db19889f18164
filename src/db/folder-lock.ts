// An exclusive lock on a folder, held by a lock file that names its process.
// A lock left by a killed process (its pid is gone) is taken over.
import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { MigrateError } from '../core/errors.js';

const LOCK_FILE = '.tiered-migrate.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to `timeoutMs`) for the folder's lock; returns its release function. */
export async function acquireFolderLock(dir: string, timeoutMs = 120_000): Promise<() => void> {
  const file = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(file);
        } catch {
          /* already gone: nothing to release */
        }
      };
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      continue; // released between our attempts: try again at once
    }
    // An empty file is a holder that has not written its pid yet: wait for it.
    if (Number.isFinite(holder) && holder !== process.pid && !processAlive(holder)) {
      try {
        unlinkSync(file);
      } catch {
        /* another waiter removed it first */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new MigrateError('CONNECTION', `the embedded database at ${dir} is in use by process ${holder}`, {
        hint: 'Wait for the other run (or the dev server using it) to finish, then try again.',
      });
    }
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
  }
}
