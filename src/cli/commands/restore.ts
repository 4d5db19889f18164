// `tiered-migrate restore <backup>` (npm run db:restore): puts the database back as
// it is in a backup of `migrate --backup`, after showing what it will replace.
import { createInterface } from 'node:readline/promises';
import { MigrateError } from '../../core/errors.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { confirmationName } from '../../dev/reset.js';
import { packageVersion } from '../../discover/core-dir.js';
import type { RestoreOutcome, RestoreSummary } from '../../recovery/restore.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';

const USAGE = `Usage: ${PROGRAM} restore <backup> [options]   (npm run db:restore -- <backup> [options])

Puts the database back exactly as it is in <backup> (a file written by migrate --backup),
tracking rows included. What exists now and is not in the backup goes too.
  server: in one transaction, under the migration lock: every schema of the database is
      dropped, public re-created, and the dump replayed (pg_restore | psql --single-transaction);
      any error rolls all of it back. Roles and database settings are not in a backup.
  embedded (<root>/.pglite): the backup is opened beside the data folder first, then the
      folders are swapped under the folder lock; the old one is kept until the new one opens.
It shows what it will replace and asks on a terminal. A relative <backup> is inside the
project root; an absolute one may be anywhere.

Options:
${PROJECT_FLAGS_USAGE}
  --yes              do it without asking (required in scripts, and with NODE_ENV=production)
  --json             print one JSON document on stdout
  -h, --help         show this help

Programs: pg_restore and psql of the server's major version or newer (PG_RESTORE, PSQL name them).

Exit codes: 0 restored · 1 the restore failed (nothing was changed) · 2 refused, usage or configuration error`;

/** The shape of the restore document. */
const RESTORE_SCHEMA_VERSION = 1;

export async function restoreCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env });
  const { style } = output;
  const document = (ok: boolean, fields: Record<string, unknown>) =>
    output.raw(`${JSON.stringify({ ok, command: 'restore', ...fields, version: packageVersion(), schemaVersion: RESTORE_SCHEMA_VERSION }, null, 2)}\n`);
  try {
    const { values, positionals } = parseCommandArgs(argv, { ...PROJECT_FLAGS, yes: { type: 'boolean' }, json: { type: 'boolean' } }, 'restore');
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    if (positionals.length !== 1) {
      throw new MigrateError('USAGE', positionals.length === 0 ? 'restore needs the backup file' : `restore takes one backup file, not ${positionals.length}`, { hint: `${PROGRAM} restore .tiered-migrate/backups/<file>` });
    }
    const config = resolveConfig(projectOptionsOf(values, env), CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    if (config.env.NODE_ENV === 'production' && !values.yes) {
      throw new MigrateError('USAGE', 'refusing to restore without --yes: NODE_ENV=production', { hint: `${PROGRAM} restore ${positionals[0]} --yes` });
    }
    if (!values.yes && !process.stdin.isTTY) {
      throw new MigrateError('USAGE', 'refusing to restore without --yes: stdin is not a terminal, so nobody can confirm', { hint: `${PROGRAM} restore ${positionals[0]} --yes` });
    }
    const { prepareRestore } = await import('../../recovery/restore.js');
    const prepared = await prepareRestore(config, positionals[0]!);
    let outcome: RestoreOutcome;
    try {
      if (!json) printSummary(output.out, prepared.summary);
      if (!values.yes) {
        output.flush();
        const name = confirmationName(config.target);
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`Everything in the database now will be replaced. Type the database name (${name}) to confirm: `);
        rl.close();
        if (answer.trim() !== name) throw new MigrateError('USAGE', 'not confirmed: nothing was changed');
      }
      outcome = await prepared.apply();
    } catch (error) {
      await prepared.discard();
      throw error;
    }
    if (json) document(true, { database: outcome.database, backup: outcome.backup, trackingRowsBefore: outcome.trackingRowsNow, trackingRowsAfter: outcome.trackingRowsAfter, changed: outcome.changed, error: null });
    else {
      output.out('');
      for (const line of outcome.changed) output.out(`✅ ${line}`);
      output.out(style.green(`🎉 ${outcome.database} is back as it was in the backup (${outcome.backup.createdAt})`));
    }
    output.flush();
    return 0;
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) document(false, { error: errorReport(error) });
    else printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

function printSummary(out: (line: string) => void, summary: RestoreSummary): void {
  const size = summary.backup.bytes < 1024 * 1024 ? `${(summary.backup.bytes / 1024).toFixed(1)} KB` : `${(summary.backup.bytes / 1024 / 1024).toFixed(1)} MB`;
  out(`♻️  Restoring ${summary.database}`);
  out(`   from ${summary.backup.path} (${summary.backup.method === 'pg_dump' ? 'pg_dump' : 'PGlite'} backup made ${summary.backup.createdAt}, ${size})`);
  out(`   tracking rows: ${summary.backup.trackingRows ?? '?'} in the backup, ${summary.trackingRowsNow ?? '?'} in the database now`);
  out('   replaces:');
  for (const line of summary.replaces) out(`     - ${line}`);
}
