// `migrate --targets …` and `status --targets …`: one command on many databases.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MigrateError } from '../../core/errors.js';
import { secretsOf } from '../../core/redact.js';
import { resolveConfig, secondsSetting, type ResolvedConfig } from '../../api/config.js';
import { openDatabase } from '../../db/connect.js';
import type { Command } from '../../run/events.js';
import { behindMostFirst, runFleet, summarize, type OnError } from '../../fleet/run.js';
import { parseTargetsText, targetsOfRows, type FleetTarget } from '../../fleet/targets.js';
import { packageVersion } from '../../discover/core-dir.js';
import { errorReport } from '../../run/result.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf, limitFlagsOf } from '../args.js';
import { makeOutput, printError } from '../output.js';
import { progressLine, summaryLines, targetLine } from '../reporters/fleet.js';

/** The shape of the fleet document (`--json`). */
export const FLEET_SCHEMA_VERSION = 1;

const FLEET_FLAGS = {
  ...PROJECT_FLAGS,
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'no-emoji': { type: 'boolean' },
  targets: { type: 'string' },
  'targets-query': { type: 'string' },
  concurrency: { type: 'string' },
  canary: { type: 'string' },
  'on-error': { type: 'string' },
  'allow-missing': { type: 'boolean' },
  'strict-order': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'sample-data': { type: 'boolean' },
  'no-sample-data': { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  'lock-retries': { type: 'string' },
  'statement-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
} as const;

const usage = (command: Command) => `Usage: ${PROGRAM} ${command} --targets FILE|- | --targets-query "<SQL>" [options]

${command === 'migrate' ? 'Applies the same plan to every target database' : 'Shows, per target database, applied / pending / modified / missing counts (behind-most first)'}.

Targets:
  --targets FILE       one target per line: [label] postgres://…  (# comments; - reads stdin)
  --targets-query SQL  run SQL on the configured database; each row gives url (label, schema)
  (a URL may end in ?schema=NAME: schema-per-tenant, see the README)
${command === 'migrate' ? `  --concurrency N      targets at once, each with its own connection (default 4)
  --canary N           migrate the first N targets alone; continue only if all succeeded
  --on-error stop|continue  after a failure, start no new target (default stop) or go on
  --dry-run, --strict-order, --lock-timeout D, --lock-retries N, --statement-timeout D  as for migrate
` : `  --concurrency N      targets read at once (default 4)
`}Options:
${PROJECT_FLAGS_USAGE}
  --json               one JSON document: { targets: [{ label, ...the usual result }], ok, summary }
  -q, --quiet          only failures and the summary
  --no-emoji           plain markers instead of emoji
  --allow-missing, --sample-data, --no-sample-data, --connect-timeout S  as for ${command}
  -h, --help           show this help

Resume: run the same command again; current targets apply nothing.
Exit codes: 0 every target ok · 1 a target failed${command === 'status' ? ' or is modified / missing' : ''} · 2 usage or configuration error`;

interface FleetFlags {
  [name: string]: string | boolean | undefined;
}

export async function fleetCommand(command: Command, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env, emoji: !argv.includes('--no-emoji') });
  try {
    const parsed = parseCommandArgs(argv, FLEET_FLAGS, command);
    const values = parsed.values as FleetFlags;
    const positionals = parsed.positionals;
    if (values.help) {
      output.out(usage(command));
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, command);
    if (command === 'status') {
      for (const name of ['canary', 'on-error', 'dry-run', 'strict-order', 'lock-timeout', 'lock-retries', 'statement-timeout']) {
        if (values[name] !== undefined) throw new MigrateError('USAGE', `--${name} is a migrate option`, { hint: `status --targets reads only; see ${PROGRAM} status --targets x --help.` });
      }
    }
    if ((values.targets === undefined) === (values['targets-query'] === undefined)) {
      throw new MigrateError('USAGE', 'pass exactly one of --targets and --targets-query', { hint: '--targets FILE (or - for stdin), or --targets-query "SELECT label, url FROM tenants".' });
    }
    if (values['sample-data'] && values['no-sample-data']) throw new MigrateError('USAGE', '--sample-data and --no-sample-data contradict each other', { hint: 'Pass at most one of them.' });
    const concurrency = countFlag(values.concurrency, '--concurrency', 4, 1);
    const canary = countFlag(values.canary, '--canary', 0, 0);
    const onError = (values['on-error'] ?? 'stop') as OnError;
    if (onError !== 'stop' && onError !== 'continue') throw new MigrateError('USAGE', `--on-error must be stop or continue, not "${String(onError)}"`, { hint: '--on-error stop (default) or --on-error continue.' });
    const options = {
      ...projectOptionsOf(values as Parameters<typeof projectOptionsOf>[0], env),
      ...(values['sample-data'] ? { sampleData: true } : values['no-sample-data'] ? { sampleData: false } : {}),
      strictOrder: values['strict-order'] === true,
      allowMissing: values['allow-missing'] === true,
      dryRun: values['dry-run'] === true,
      ...(command === 'migrate' ? limitFlagsOf(values as Parameters<typeof limitFlagsOf>[0]) : {}),
      ...(typeof values['connect-timeout'] === 'string' ? { connectTimeout: secondsSetting(values['connect-timeout'], '--connect-timeout') / 1000 } : {}),
    };
    const config = resolveConfig(options, CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    const targets = typeof values.targets === 'string' ? targetsOfFile(values.targets, config.project.root) : await targetsOfQuery(String(values['targets-query']), config);
    for (const t of targets) output.addSecrets(secretsOf(t.url));
    if (targets.length === 0) throw new MigrateError('USAGE', 'the target list is empty', { hint: 'List one postgres:// URL per line, or make the query return rows.' });

    const stop = new AbortController();
    const onSignal = () => stop.abort('SIGINT');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // --json: the document is streamed, one target at a time, so memory stays flat. It
    // opens with the first target done: an error before that (discovery) prints its own.
    let first = true;
    let opened = false;
    const open = () => {
      if (json && !opened) output.raw(`{"command":${JSON.stringify(command)},"targets":[`);
      opened = true;
    };
    try {
      const result = await runFleet(command, config, options, targets, {
        concurrency,
        canary: command === 'migrate' ? canary : 0,
        onError: command === 'migrate' ? onError : 'continue',
        signal: stop.signal,
        onProgress: (p) => output.live(progressLine(p)),
        onTargetDone: (target: FleetTarget, index, { result: run, notes }) => {
          if (json) {
            open();
            const entry = { label: target.label, index, ...(target.schema !== null ? { schema: target.schema } : {}), ...run, ...(notes.length > 0 ? { notes } : {}) };
            output.raw(`${first ? '' : ','}\n${JSON.stringify(entry)}`);
            first = false;
            return;
          }
          const summary = summarize(target, run, notes);
          if (summary.status === 'failed') output.err(targetLine(summary, command));
          else if (!values.quiet) output.out(targetLine(summary, command));
          for (const note of notes) output.out(`   🛠️ ${note}`);
        },
      });
      output.live(null);
      const rows = command === 'status' ? behindMostFirst(result.targets) : result.targets;
      const bad = (s: (typeof rows)[number]) => s.status !== 'ok' || (command === 'status' && (s.modified > 0 || s.missing > 0));
      const ok = !rows.some(bad);
      if (json) {
        open();
        const summary = rows;
        output.raw(`\n],"ok":${ok},"stopped":${JSON.stringify(result.stopped)},"summary":${JSON.stringify(summary)},"version":${JSON.stringify(packageVersion())},"schemaVersion":${FLEET_SCHEMA_VERSION}}\n`);
      } else for (const line of summaryLines(result, rows)) output.out(line);
      output.flush();
      if (stop.signal.aborted) return 130;
      return ok ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) output.raw(`${JSON.stringify({ ok: false, command, targets: [], error: errorReport(error), version: packageVersion(), schemaVersion: FLEET_SCHEMA_VERSION }, null, 2)}\n`);
    else printError(output.err, output.style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

/** `--concurrency 8`, `--canary 1`: a whole number of at least `min`. */
function countFlag(value: string | boolean | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new MigrateError('USAGE', `${flag} needs a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${String(value)}"`, { hint: `e.g. ${flag} 4` });
  return n;
}

function targetsOfFile(file: string, root: string): FleetTarget[] {
  if (file === '-') return parseTargetsText(readFileSync(0, 'utf8'), '<stdin>');
  const full = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new MigrateError('USAGE', `cannot read the targets file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: `A path relative to the current folder (the project root is ${root}).` });
  }
  return parseTargetsText(text, file);
}

/** Runs the query on the configured (control) database; its connection is closed before any target opens. */
async function targetsOfQuery(sql: string, config: ResolvedConfig): Promise<FleetTarget[]> {
  const db = await openDatabase(config.target);
  try {
    const rows = await db.query(sql).catch((error: unknown) => {
      if (error instanceof MigrateError) throw new MigrateError('USAGE', `--targets-query failed: ${error.message}`, { hint: 'The query runs on the configured database (MIGRATE_DATABASE_URL, DIRECT_URL, DATABASE_URL) and must return a url column.' });
      throw error;
    });
    return targetsOfRows(rows);
  } finally {
    await db.close();
  }
}
