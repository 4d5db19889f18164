// Asking before a command writes to a database outside a migration: on a
// terminal, a yes/no question; `--yes` for scripts; neither (stdin not a terminal,
// no --yes) is a refusal, exit 2, before anything is changed.
import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import { MigrateError } from '../core/errors.js';
import { PROGRAM } from './args.js';

/**
 * True when the change may go ahead: `yes`, or the person at the terminal answered
 * y. The question goes to stderr, so `--json` keeps stdout one document.
 */
export async function confirmed(question: string, yes: boolean, command: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new MigrateError('USAGE', `refusing to ${command} without --yes: stdin is not a terminal, so nobody can confirm; nothing was changed`, {
      hint: `${PROGRAM} ${command} … --yes`,
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Who runs the command, for history entries: `user@host`, or null when the system will not say. */
export function localActor(): string | null {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return null;
  }
}
