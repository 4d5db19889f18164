// Human output: the documented shape of a run (emoji, phases, per-file lines),
// plus durations, problems and errors with their place in the file.
import type { RunEvent, RunResult } from '../../run/events.js';
import type { PlannedMigration, Problem } from '../../core/plan.js';
import type { Discovery } from '../../discover/project.js';
import { formatMs, type Style } from './style.js';
import { printError } from '../output.js';
import { describeBlocker } from '../../run/lock-retry.js';
import { formatDuration } from '../../core/limits.js';

type Write = (line: string) => void;

/** Why the core folder is the one it is, as the start line says it. */
const CORE_ORIGIN: Record<string, string> = {
  package: ', shipped with tiered-migrate',
  project: '',
};

/** Which heading a file is printed under. */
function groupOf(item: PlannedMigration): string {
  const s = item.file.source;
  if (s.tier === 'core') return 'core';
  const phase = item.file.sampleData ? 'sample:' : '';
  if (s.tier === 'entity') return `${phase}entities:${s.sourceType}:${s.sourceName}`;
  return `${phase}content:${s.sourceType}:${s.sourceName}`;
}

function groupHeading(item: PlannedMigration): string {
  const s = item.file.source;
  const owner = s.sourceName ?? '';
  const sample = item.file.sampleData ? ' (sample data)' : '';
  switch (s.tier) {
    case 'theme':
      return `🎨 Theme migrations: ${owner}${sample}`;
    case 'theme-settings':
      return `🎨 Theme settings migrations: ${owner}${sample}`;
    case 'plugin':
      return `📦 Plugin migrations: ${owner}${sample}`;
    case 'plugin-settings':
      return `📦 Plugin settings migrations: ${owner}${sample}`;
    case 'entity':
      return s.sourceType === 'theme' ? `🎨 Theme entities: ${owner}${sample}` : `🔌 Plugin entities: ${owner}${sample}`;
    default:
      return '';
  }
}

export interface HumanOptions {
  /** Only warnings, errors and the summary (a no-op run of 2,000 files prints a few lines). */
  quiet?: boolean;
  /** A transient progress line on a terminal (see Output.live); none when absent. */
  live?: (text: string | null) => void;
}

/** How often the progress line is redrawn while a file waits or runs. */
const PROGRESS_TICK_MS = 250;

export function humanReporter(writeLine: Write, writeError: Write, style: Style, options: HumanOptions = {}): (event: RunEvent) => void {
  // Quiet: everything but warnings, errors and the summary is dropped here, in one place.
  let summary = false;
  const write: Write = (line) => {
    if (!options.quiet || summary) writeLine(line);
  };
  let discovery: Discovery | null = null;
  let currentGroup: string | null = null;
  let currentEntity: string | null = null;
  const entityCounts = new Map<string, number>();
  const entitiesShown = new Set<string>();
  let phase2Shown = false;
  let dryRun = false;
  let productionDatabase = false;

  const problemLine = (p: Problem) => {
    const icon = p.severity === 'error' ? style.red('❌') : p.severity === 'warning' ? style.yellow('⚠️ ') : 'ℹ️ ';
    const out = p.severity === 'error' ? writeError : p.severity === 'warning' ? writeLine : write;
    out(`${icon} ${p.message}`);
    if (p.hint) out(style.dim(`   → ${p.hint}`));
  };

  const enterPhase2 = () => {
    if (phase2Shown || !discovery) return;
    phase2Shown = true;
    write('');
    write(style.bold('📋 PHASE 2: Entity migrations'));
    write(`📌 Active theme: ${discovery.theme}`);
    write(`🔌 Active plugins: ${discovery.plugins.length > 0 ? discovery.plugins.join(', ') : '(none)'}`);
  };

  const beforeItem = (item: PlannedMigration) => {
    if (item.file.source.tier !== 'core') enterPhase2();
    const group = groupOf(item);
    if (group !== currentGroup) {
      currentGroup = group;
      currentEntity = null;
      const heading = groupHeading(item);
      if (heading) write(heading);
    }
    const entity = item.file.source.entity;
    if (entity && entity !== currentEntity) {
      currentEntity = entity;
      const count = entityCounts.get(entity) ?? 0;
      write(entitiesShown.has(entity) ? `📁 ${entity} (continued)` : `📁 ${entity} (${count} migration(s))`);
      entitiesShown.add(entity);
    }
  };

  const isCore = (item: PlannedMigration) => item.file.source.tier === 'core';

  // Progress: files done / to run, the current file, and how long it has waited for the
  // lock or been running — visible while it happens, not only afterwards.
  const progress = { done: 0, total: 0, runStarted: 0, item: null as PlannedMigration | null, phase: 'lock' as 'lock' | 'run', since: 0, timer: null as NodeJS.Timeout | null };
  const drawProgress = () => {
    if (!options.live || !progress.item) return;
    const waited = (performance.now() - progress.since) / 1000;
    const what = progress.phase === 'lock' ? 'waiting for the migration lock (another runner holds it)' : 'running';
    const total = ((performance.now() - progress.runStarted) / 1000).toFixed(0);
    options.live(`⏳ [${progress.done}/${progress.total}] ${progress.item.file.filename}: ${what} · ${waited.toFixed(1)} s (${total} s in all)`);
  };
  const stopProgress = () => {
    if (progress.timer) clearInterval(progress.timer);
    progress.timer = null;
    progress.item = null;
    options.live?.(null);
  };

  return (event) => {
    if (options.live) {
      if (event.type === 'plan') {
        progress.total = event.plan.items.filter((i) => i.state === 'pending').length;
        progress.runStarted = performance.now();
      } else if (event.type === 'file:lock-wait' || event.type === 'file:start') {
        progress.item = event.item;
        progress.phase = event.type === 'file:lock-wait' ? 'lock' : 'run';
        progress.since = performance.now();
        // Only slow steps show: the first redraw comes a second after the step began.
        if (progress.timer) clearInterval(progress.timer);
        const started = progress.since;
        progress.timer = setInterval(() => performance.now() - started > 1000 && drawProgress(), PROGRESS_TICK_MS);
        progress.timer.unref();
      } else if (event.type === 'file:lock-timeout') {
        stopProgress();
      } else if (event.type === 'file:done' || event.type === 'file:error' || (event.type === 'file:skip' && event.byOtherRunner) || event.type === 'done') {
        progress.done += event.type === 'done' ? 0 : 1;
        stopProgress();
      }
    }
    switch (event.type) {
      case 'start':
        dryRun = event.dryRun;
        if (event.command === 'status') {
          write('📊 Migration status');
        } else {
          write(style.bold(`🚀 Starting migration process...${dryRun ? ' (dry run: nothing will be executed)' : ''}`));
        }
        if (event.embeddedDir) write(`🗄️  Embedded database (PGlite): ${event.embeddedDir}`);
        else if (event.database === 'pglite:memory') write('🗄️  Embedded database (PGlite) in memory: nothing is kept after this run');
        else write(`🗄️  Database ${event.database} (from ${event.databaseOrigin})`);
        write(`📂 Core migrations: ${event.core.dir} (${event.core.files} file${event.core.files === 1 ? '' : 's'}${CORE_ORIGIN[event.core.origin] ?? `, from ${event.core.origin}`})`);
        if (event.command === 'migrate') write(style.bold('📋 PHASE 1: Core migrations'));
        break;
      case 'connect:retry':
        writeLine(style.yellow(`⏳ Try ${event.attempt}: ${event.error.message}; trying again in ${formatMs(event.nextInMs)} (--wait: ${formatMs(event.remainingMs)} left)`));
        break;
      case 'connected':
        write(`✅ Connected to database ${style.dim(event.database)}`);
        break;
      case 'production-marked':
        write(`🏭 Marked ${event.database} as a production database (${event.reason}): sample data never runs on it again unless --sample-data is passed`);
        break;
      case 'tracking-upgraded':
        for (const note of event.notes) write(`🛠️  ${note}`);
        break;
      case 'plan': {
        discovery = event.discovery;
        productionDatabase = event.plan.productionDatabase;
        for (const item of event.plan.items) {
          const e = item.file.source.entity;
          if (e) entityCounts.set(e, (entityCounts.get(e) ?? 0) + 1);
        }
        const core = event.plan.items.filter(isCore).length;
        if (event.plan.items.length > 0 || core === 0) write(`Found ${core} migration file(s)`);
        break;
      }
      case 'problem':
        problemLine(event.problem);
        break;
      case 'file:skip':
        beforeItem(event.item);
        write(
          style.dim(
            event.byOtherRunner
              ? `⏭️ Skipping ${event.item.file.filename} (applied by another runner)`
              : `⏭️ Skipping ${event.item.file.filename} (already executed)`,
          ),
        );
        break;
      case 'file:sample-data-skipped':
        beforeItem(event.item);
        write(
          style.yellow(
            productionDatabase
              ? `⏭️ Skipping ${event.item.file.filename} (sample data: this is a production database; --sample-data forces it)`
              : `⏭️ Skipping ${event.item.file.filename} (sample data, not run when NODE_ENV=production; --sample-data forces it)`,
          ),
        );
        break;
      case 'file:would-run':
        beforeItem(event.item);
        write(`📝 Would run ${event.item.file.path}${event.item.outOfOrder ? style.yellow(' (out of order)') : ''}`);
        break;
      case 'file:start':
        beforeItem(event.item);
        write(isCore(event.item) ? `🔄 Running ${event.item.file.filename}...` : `🔄 ${event.item.file.filename}...`);
        break;
      case 'file:done': {
        const name = event.item.file.filename;
        const took = style.dim(`(${formatMs(event.durationMs)})`);
        write(isCore(event.item) ? `✅ Successfully executed ${name} ${took}` : `✅ ${name} executed successfully ${took}`);
        break;
      }
      case 'backup:start':
        write(`💾 Backing up the whole database (${event.method === 'pg_dump' ? 'pg_dump --format=custom' : "PGlite's dump of its data directory"}) to ${event.path}...`);
        break;
      // Shown with --quiet too: where the backup is, and how to use it, is what matters most if the run fails.
      case 'backup:done':
        writeLine(`✅ Backup written: ${event.backup.path} (${formatBytes(event.backup.bytes)}, ${formatMs(event.backup.durationMs)})`);
        writeLine(`   To put the database back as it is now: ${event.backup.restoreCommand}`);
        break;
      case 'backup:skipped':
        writeLine(`💾 No backup: ${event.reason}`);
        break;
      case 'file:lock-timeout': {
        // A warning: shown with --quiet too, one line per attempt.
        const timeout = event.lockTimeoutMs > 0 ? `lock_timeout ${formatDuration(event.lockTimeoutMs)}` : 'its own lock_timeout or NOWAIT';
        const next = event.retryInMs === null ? 'no attempt left' : `retrying in ${formatMs(event.retryInMs)}`;
        writeLine(
          style.yellow(
            `⚠️  ${event.item.file.path}: ${timeout} expired after ${formatMs(event.waitedMs)} (attempt ${event.attempt}/${event.attempts}), rolled back, ${next}. It waited for ${describeBlocker(event.blocker)}`,
          ),
        );
        break;
      }
      case 'file:retry':
        write(`🔄 Retrying ${event.item.file.filename} (attempt ${event.attempt}/${event.attempts})`);
        break;
      case 'file:note':
        write(style.yellow(`🛠️  ${event.item.file.filename}: ${event.message}`));
        break;
      case 'file:error':
        writeError(style.red(`❌ Failed executing ${event.item.file.path} (${formatMs(event.durationMs)})`));
        break;
      case 'done':
        summary = true;
        if (event.result.command === 'status') printStatus(write, style, event.result, discovery, options.quiet ?? false, productionDatabase);
        else printSummary(write, writeError, style, event.result, dryRun);
        break;
    }
  };
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printSummary(write: Write, writeError: Write, style: Style, result: RunResult, dryRun: boolean): void {
  const count = (pred: (m: RunResult['migrations'][number]) => boolean) => result.migrations.filter(pred).length;
  const isContent = (t: string) => t !== 'core' && t !== 'entity';
  const contentApplied = count((m) => isContent(m.tier) && m.status === 'applied');
  const entityApplied = result.migrations.filter((m) => m.tier === 'entity' && m.status === 'applied');
  const entities = new Set(entityApplied.map((m) => m.entity));
  const pending = count((m) => m.status === 'pending');
  if (result.error) {
    printError(writeError, style, result.error);
    return;
  }
  write('');
  if (dryRun) {
    write(pending === 0 ? '✅ Nothing to run: the database is up to date.' : `📝 ${pending} migration(s) would run. Nothing was executed.`);
    return;
  }
  write('✅ Content & Entity migrations completed!');
  write(`- Core migrations: ${count((m) => m.tier === 'core' && m.status === 'applied')}`);
  write(`- Content migrations (theme/plugin): ${contentApplied}`);
  write(`- Entity migrations: ${entityApplied.length} (across ${entities.size} entities)`);
  write(`- Already applied: ${count((m) => m.status === 'skipped')}`);
  const sample = count((m) => m.status === 'sample-data-skipped');
  if (sample > 0) write(`- Sample data skipped: ${sample}`);
  write(style.green('🎉 All migrations completed successfully!'));
}

function printStatus(write: Write, style: Style, result: RunResult, discovery: Discovery | null, quiet: boolean, productionDatabase: boolean): void {
  const icon: Record<string, string> = {
    applied: '✅',
    pending: '⏳',
    modified: style.red('✏️ '),
    missing: style.red('❓'),
    inactive: style.dim('💤'),
    'sample-data-skipped': '⏭️ ',
  };
  if (productionDatabase) write('🏭 Production database: sample data is never applied here unless --sample-data is passed');
  if (discovery) write(`📌 Active theme: ${discovery.theme}   🔌 Active plugins: ${discovery.plugins.join(', ') || '(none)'}`);
  let tier: string | null = null;
  // Quiet: only what needs attention, then the counts.
  for (const m of quiet ? result.migrations.filter((m) => m.status !== 'applied') : result.migrations) {
    if (m.tier !== tier) {
      tier = m.tier;
      write('');
      write(style.bold(`${tier}`));
    }
    const when = m.appliedAt ? style.dim(`  ${m.appliedAt.slice(0, 19)}${m.durationMs !== null ? ` · ${formatMs(m.durationMs)}` : ''}`) : '';
    const state = m.status === 'sample-data-skipped' && productionDatabase ? 'skipped (production database)' : m.status;
    write(`  ${icon[m.status] ?? ''} ${state.padEnd(9)} ${m.label}${when}`);
  }
  const by = (s: string) => result.migrations.filter((m) => m.status === s).length;
  write('');
  write(`${by('applied')} applied, ${by('pending')} pending, ${by('modified')} modified, ${by('missing')} missing, ${by('inactive')} inactive`);
  if (result.error) printError(write, style, result.error);
}
