// The embedded database's folder lock: never two holders, even when several
// processes find a stale lock at the same instant; a stale lock naming our own
// pid (a restarted container is pid 1 again) is taken over, not waited out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/project.js';
import { acquireFolderLock } from '../src/db/folder-lock.js';

const LOCK = '.tiered-migrate.lock';
const lockModule = pathToFileURL(path.join(repoRoot, 'build', 'src', 'db', 'folder-lock.js')).href;

/** A process id that was just in use and is not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}

/** Holds the lock for a moment, writing `+id` and `-id` to the log around it. */
const HOLDER = `
const [dir, log, id, at] = process.argv.slice(1);
const { appendFileSync } = await import('node:fs');
const { acquireFolderLock } = await import(${JSON.stringify(lockModule)});
while (Date.now() < Number(at)) {} // start at one instant with the others
const release = await acquireFolderLock(dir, 20000);
appendFileSync(log, '+' + id + '\\n');
await new Promise((r) => setTimeout(r, 25));
appendFileSync(log, '-' + id + '\\n');
release();
`;

function runHolder(dir: string, log: string, id: string, at: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER, dir, log, id, String(at)]);
    let stderr = '';
    // A holder that never gets the lock must fail the test, not hang it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('processes that find a stale lock at the same instant never hold it together (20 rounds)', async () => {
  const processes = 3;
  for (let round = 0; round < 20; round++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tm-lock-'));
    try {
      const dead = await deadPid();
      // A lock left by a killed run: in this version's format, or in the old one (a file holding a pid).
      if (round % 2 === 0) writeFileSync(path.join(dir, LOCK), String(dead));
      else {
        mkdirSync(path.join(dir, LOCK));
        writeFileSync(path.join(dir, LOCK, `owner.${dead}-1-deadbeef`), '');
      }
      const log = path.join(dir, 'holders.log');
      writeFileSync(log, '');
      const at = Date.now() + 400;
      const runs = await Promise.all(Array.from({ length: processes }, (_, i) => runHolder(dir, log, `${i}`, at)));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      assert.equal(lines.length, 2 * processes, lines.join(' '));
      for (let i = 0; i < lines.length; i += 2) {
        assert.ok(lines[i]!.startsWith('+') && lines[i + 1] === `-${lines[i]!.slice(1)}`, `round ${round}: two holders at once: ${lines.join(' ')}`);
      }
      assert.deepEqual(readdirSync(dir).sort(), ['holders.log'], 'nothing left behind once all released');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a stale lock naming our own pid (a restarted container) is taken over at once', async () => {
  for (const format of ['old', 'new'] as const) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tm-lock-'));
    try {
      if (format === 'old') writeFileSync(path.join(dir, LOCK), String(process.pid));
      else {
        mkdirSync(path.join(dir, LOCK));
        writeFileSync(path.join(dir, LOCK, `owner.${process.pid}-1-0123abcd`), '');
      }
      const started = Date.now();
      const release = await acquireFolderLock(dir, 3000);
      assert.ok(Date.now() - started < 1000, `${format}: waited ${Date.now() - started} ms`);
      // Held by us now: a second acquisition in this process waits, then times out.
      await assert.rejects(acquireFolderLock(dir, 300), /in use by process/);
      release();
      const again = await acquireFolderLock(dir, 1000);
      again();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
