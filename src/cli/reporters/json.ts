// `--json`: exactly one JSON document on stdout, written when the run is done.
// Every document carries the tool's `version` and a `schemaVersion` of its own shape
// (raised when a field is renamed or removed; new fields do not raise it).
import type { BackupInfo, RunEvent } from '../../run/events.js';
import { packageVersion } from '../../discover/core-dir.js';

/** The shape of the migrate / status document. */
export const RUN_SCHEMA_VERSION = 1;

export function jsonReporter(write: (text: string) => void): (event: RunEvent) => void {
  // `migrate --backup` only: the backup written, or why none was (absent from other documents).
  let backup: { backup: BackupInfo | { skipped: string } } | Record<string, never> = {};
  // Failed connection attempts under --wait, in the document only when there were any.
  const connectRetries: { attempt: number; code: string; message: string; nextInMs: number }[] = [];
  return (event) => {
    if (event.type === 'backup:done') backup = { backup: event.backup };
    if (event.type === 'backup:skipped') backup = { backup: { skipped: event.reason } };
    if (event.type === 'connect:retry') connectRetries.push({ attempt: event.attempt, code: event.error.code, message: event.error.message, nextInMs: event.nextInMs });
    if (event.type !== 'done') return;
    const { ok, command, database, migrations, error, problems } = event.result;
    const extra = { ...(event.result.productionDatabase ? { productionDatabase: true } : {}), ...(connectRetries.length > 0 ? { connectRetries } : {}), ...backup };
    write(`${JSON.stringify({ ok, command, database, migrations, error, problems, ...extra, version: packageVersion(), schemaVersion: RUN_SCHEMA_VERSION }, null, 2)}\n`);
  };
}
