// Where backups may be written and read. The rule (documented in the README):
// - no path: `<root>/.tiered-migrate/backups/`, a folder that ignores itself in git;
// - a relative path is taken from the project root and must stay inside it;
// - an absolute path may be anywhere (`/var/backups/…`): naming it is the intent;
// - a backup is never written where git would pick it up (inside a work tree and
//   not ignored) unless the caller says so (`--backup-in-repo`).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MigrateError } from '../core/errors.js';

/** Our folder in the project; it holds a `.gitignore` of `*` so git never sees a backup. */
export const RECOVERY_DIR = '.tiered-migrate';
export const BACKUPS_DIR = path.join(RECOVERY_DIR, 'backups');

/** `path` resolved by the rule above; `what` names it in errors ("--backup", "the backup"). */
export function resolveRecoveryPath(root: string, given: string, what: string): string {
  if (path.isAbsolute(given)) return path.normalize(given);
  const resolved = path.resolve(root, given);
  const relative = path.relative(root, resolved);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new MigrateError('USAGE', `${what} ${given} is outside the project root ${root}`, {
      hint: 'Give a path inside the project (relative to its root), or an absolute path to keep backups elsewhere (e.g. /var/backups/app.dump).',
    });
  }
  return resolved;
}

/** How a path is shown in a command to copy: relative to the root when inside it. */
export function displayPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The default folder, created owner-only (0700) with its `.gitignore`. */
export function ensureDefaultBackupsDir(root: string): string {
  const dir = path.join(root, BACKUPS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(path.join(root, RECOVERY_DIR), 0o700);
  chmodSync(dir, 0o700);
  const ignore = path.join(root, RECOVERY_DIR, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# backups and other local state of tiered-migrate: never committed\n*\n');
  return dir;
}

/** The nearest folder of `file` that exists (git needs one to run in). */
function existingAncestor(file: string): string {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * Whether git would see `file`: inside a work tree and not ignored. False when git is
 * not installed or the folder is not in a repository.
 */
export function visibleToGit(file: string): { visible: boolean; workTree: string | null } {
  const cwd = existingAncestor(file);
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
  if (top.error || top.status !== 0) return { visible: false, workTree: null };
  const workTree = top.stdout.trim();
  // 0: ignored; 1: not ignored; 128: an error (say, the path is outside the work tree).
  const ignored = spawnSync('git', ['check-ignore', '-q', '--no-index', '--', file], { cwd, encoding: 'utf8' });
  return { visible: ignored.status === 1, workTree };
}

/** Refuses a backup path git would pick up, unless `allowed`. */
export function checkNotInRepo(file: string, allowed: boolean): void {
  if (allowed) return;
  const { visible, workTree } = visibleToGit(file);
  if (!visible) return;
  throw new MigrateError('USAGE', `refusing to write the backup ${file} inside the git work tree ${workTree}, where it is not ignored: it holds every row of the database and could be committed`, {
    hint: `Leave --backup without a path (${BACKUPS_DIR}/ ignores itself), add the folder to .gitignore, write it outside the repository, or pass --backup-in-repo.`,
  });
}
