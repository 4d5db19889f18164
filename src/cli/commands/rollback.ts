// `tiered-migrate rollback [--steps N | --to FILE]` (npm run db:rollback): undoes
// applied migrations with their down files, newest first, and prints what it undid.
import { localActor } from '../confirm.js';
import { createInterface } from 'node:readline/promises';
import { MigrateError } from '../../core/errors.js';
import { TRACKING_TABLES } from '../../core/tracking.js';
import { resolveConfig } from '../../api/config.js';
import { errorReport } from '../../run/result.js';
import { packageVersion } from '../../discover/core-dir.js';
import { rollback, type RollbackEvent, type RollbackPlan, type RollbackResult, type RollbackStep, type RollbackTarget } from '../../recovery/rollback.js';
import { CLI_OPTION_NAMES, PROGRAM, PROJECT_FLAGS, PROJECT_FLAGS_USAGE, noExtraArguments, parseCommandArgs, projectOptionsOf } from '../args.js';
import { makeOutput, printError, type Output } from '../output.js';

const USAGE = `Usage: ${PROGRAM} rollback [--steps N | --to FILE] [options]   (npm run db:rollback)

Undoes applied migrations with their down files (NNN_name.down.sql beside
NNN_name.sql), newest first across all tiers: the order of executed_at, and for
equal times the reverse of the order migrate runs them in. Each down file runs in
one transaction together with the removal of its tracking row, under the migration
lock: a down file that fails changes nothing, and stops the rollback there (what was
undone before it stays undone).

Before anything runs it lists what it will undo, and refuses, with nothing changed,
when a migration in the range has no down file, is missing from disk or was changed
since it was applied. It asks on a terminal; --yes in scripts (refused without it
when stdin is not a terminal).

Options:
  --steps N          undo the last N applied migrations (default: 1, the last one)
  --to FILE          undo every migration applied after FILE (a path from the project
                     root); FILE itself stays applied
  --dry-run          print what would be undone; nothing is executed
  --yes              do it without asking
  --json             one JSON document on stdout
${PROJECT_FLAGS_USAGE}

Exit codes: 0 done (or nothing to undo) · 1 refused (no down file…) or a down file failed · 2 usage or configuration error, or not confirmed`;

/** The shape of the rollback document (raised when a field is renamed or removed). */
export const ROLLBACK_SCHEMA_VERSION = 1;

export async function rollbackCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const json = argv.includes('--json');
  const output = makeOutput({ json, env });
  const { style } = output;
  const say = json ? () => undefined : output.out;
  try {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...PROJECT_FLAGS, steps: { type: 'string' }, to: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
      'rollback',
    );
    if (values.help) {
      output.out(USAGE);
      output.flush();
      return 0;
    }
    noExtraArguments(positionals, 'rollback');
    const target = targetOf(values.steps, values.to);
    const config = resolveConfig(projectOptionsOf(values, env), CLI_OPTION_NAMES);
    output.addSecrets(config.secrets);
    const dryRun = Boolean(values['dry-run']);
    const result = await rollback({
      project: config.project,
      target: config.target,
      rollback: target,
      dryRun,
      actor: localActor(),
      confirm: async (plan) => {
        if (values.yes) return true;
        if (!process.stdin.isTTY) {
          throw new MigrateError('USAGE', 'refusing to roll back without --yes: stdin is not a terminal, so nobody can confirm; nothing was changed', { hint: `${PROGRAM} rollback ${argv.join(' ')} --yes` });
        }
        output.flush();
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`Undo ${count(plan.steps.length)}? Type "yes" to confirm: `);
        rl.close();
        return answer.trim().toLowerCase() === 'yes';
      },
      onStep: (event) => report(say, event, dryRun),
    });
    if (json) output.raw(`${JSON.stringify(documentOf(result), null, 2)}\n`);
    else summarise(output, result);
    output.flush();
    if (!result.confirmed) return 2;
    return result.ok ? 0 : (result.error?.exitCode ?? 1);
  } catch (error) {
    if (!(error instanceof MigrateError)) throw error;
    if (json) output.raw(`${JSON.stringify({ ok: false, command: 'rollback', error: errorReport(error), version: packageVersion(), schemaVersion: ROLLBACK_SCHEMA_VERSION }, null, 2)}\n`);
    printError(output.err, style, errorReport(error));
    output.flush();
    return error.exitCode;
  }
}

/** `--steps` and `--to` are two ways to say how far: one at most. */
function targetOf(steps: string | undefined, to: string | undefined): RollbackTarget {
  if (steps !== undefined && to !== undefined) throw new MigrateError('USAGE', '--steps and --to both say how far to roll back', { hint: 'Pass one of them.' });
  if (to !== undefined) return { to };
  if (steps === undefined) return { steps: 1 };
  if (!/^\d+$/.test(steps) || Number(steps) < 1) throw new MigrateError('USAGE', `--steps needs a whole number of 1 or more, not "${steps}"`, { hint: `${PROGRAM} rollback --steps 2` });
  return { steps: Number(steps) };
}

const count = (n: number) => `${n} migration${n === 1 ? '' : 's'}`;

function describeStep(step: RollbackStep): string {
  return `${step.label}${step.row.executedAt ? ` (applied ${step.row.executedAt})` : ''}`;
}

function report(say: (line: string) => void, event: RollbackEvent, dryRun: boolean): void {
  switch (event.type) {
    case 'plan': {
      const { plan } = event;
      say(`🗄️  Database: ${event.database}`);
      if (plan.steps.length === 0) return say('✅ Nothing to roll back');
      say(`📋 ${dryRun ? 'Would undo' : 'To undo'}, newest first (${count(plan.steps.length)}):`);
      plan.steps.forEach((s, i) => say(`   ${i + 1}. ${describeStep(s)}${s.file?.down ? ` with ${s.file.down.path}` : ''}`));
      for (const p of plan.problems) {
        say(`❌ ${p.message}`);
        if (p.hint) say(`   → ${p.hint}`);
      }
      return;
    }
    case 'step:start':
      return say(`🔄 Undoing ${event.step.label} (${event.step.file!.down!.path})`);
    case 'step:done':
      return say(event.status === 'rolled-back' ? `✅ Undid ${event.step.label} (${Math.round(event.durationMs)} ms): its tracking row is removed` : `⏭️  ${event.step.label}: already rolled back by another runner`);
    case 'step:error':
      return;
  }
}

function summarise(output: Output, result: RollbackResult): void {
  const { plan, statuses } = result;
  const undone = plan.steps.filter((s) => statuses.get(s) === 'rolled-back');
  if (result.error) {
    printError(output.err, output.style, errorReport(result.error));
    const failed = plan.steps.find((s) => statuses.get(s) === 'failed');
    if (failed) {
      output.err(`   ${failed.label} stays applied (its down file was rolled back, its tracking row kept).`);
      const notRun = plan.steps.filter((s) => statuses.get(s) === 'not-run');
      if (notRun.length > 0) output.err(`   Not attempted, still applied: ${notRun.map((s) => s.label).join(', ')}.`);
    }
    if (undone.length > 0) output.err(`   Undone before it, and they stay undone: ${undone.map((s) => s.label).join(', ')}.`);
    else if (!failed) output.err('   Nothing was changed.');
    return;
  }
  if (result.dryRun) return output.out(plan.steps.length > 0 ? `📝 Dry run: nothing was executed (${count(plan.steps.length)} would be undone)` : '');
  if (!result.confirmed) return output.out('Not confirmed: nothing was changed.');
  if (plan.steps.length > 0) output.out(`🎉 Rolled back ${count(undone.length)}${undone.length > 0 ? `: ${undone.map((s) => s.label).join(', ')}` : ''}`);
}

/** The `--json` document: the plan, each step's status, and what stopped it. */
function documentOf(result: RollbackResult) {
  const step = (s: RollbackStep) => ({
    tier: TRACKING_TABLES[s.row.table].tierOf(s.row),
    source: s.row.sourceName,
    entity: s.row.entity,
    filename: s.row.filename,
    path: s.file?.path ?? null,
    down: s.file?.down?.path ?? null,
    appliedAt: s.row.executedAt ?? null,
    status: result.statuses.get(s) ?? 'planned',
  });
  const plan: RollbackPlan = result.plan;
  return {
    ok: result.ok && result.confirmed,
    command: 'rollback',
    database: result.database,
    dryRun: result.dryRun,
    migrations: plan.steps.map(step),
    problems: plan.problems,
    error: result.error ? errorReport(result.error) : result.confirmed ? null : { code: 'USAGE', message: 'not confirmed: nothing was changed' },
    version: packageVersion(),
    schemaVersion: ROLLBACK_SCHEMA_VERSION,
  };
}
