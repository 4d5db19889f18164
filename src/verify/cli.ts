// `db verify` (npm run db:verify): arguments and environment in, exit code out.
// Static checks always; live checks when a database is configured. Exit 0 without
// errors, 1 with errors (or warnings under --strict), 2 on usage or configuration.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MigrateError } from '../core/errors.js';
import { scrub, secretsOf } from '../core/redact.js';
import { resolveTarget, openDatabase, type DatabaseTarget } from '../db/connect.js';
import { discover, type Discovery } from '../discover/project.js';
import { discoverAll, setupLabel } from '../discover/all.js';
import { loadEnvFiles } from '../cli/env-files.js';
import { colourWanted, makeStyle } from '../cli/reporters/style.js';
import { loadParser } from '../sql/statements.js';
import { verifyStatic, type SetupFiles } from './verify.js';
import { liveChecks } from './live.js';
import { buildReport, humanReport, jsonReport, type DatabaseSummary } from './report.js';
import type { Finding } from './types.js';
import type { Corpus } from './corpus.js';
import { loadThemeConfigParser } from '../discover/theme-config.js';
import { parseCommandArgs } from '../cli/args.js';

const USAGE = `Usage: db verify [options]   (npm run db:verify -- [options])

Checks every migration of the active theme and its plugins against the team's
checklist, with PostgreSQL's own parser; and, when a database is configured,
the database against the files (read-only).

Options:
  --root DIR       project root (default: current folder)
  --theme NAME     active theme (default: NEXT_PUBLIC_ACTIVE_THEME)
  --all            check every theme and plugin in contents/
  --json           print one JSON document: { ok, findings, summary, … }
  --strict         exit 1 on warnings too
  --verbose        also list findings silenced by -- verify:ignore, with their reasons
  --no-db          static checks only, even when a database is configured
  --no-env-file    ignore .env, .env.local, .env.<NODE_ENV>, .env.<NODE_ENV>.local
  -h, --help       show this help

Live checks run when MIGRATE_DATABASE_URL or DATABASE_URL is set (pglite:<dir>
for the embedded database); they never write to the database.

Silence a finding on purpose, on the line above the statement or in the header:
  -- verify:ignore <rule> <reason>

Exit codes: 0 no errors · 1 errors (or warnings with --strict) · 2 usage or configuration error`;

interface Options {
  root: string;
  theme: string | undefined;
  themeOrigin: string;
  all: boolean;
  json: boolean;
  strict: boolean;
  verbose: boolean;
  db: boolean;
  envFile: boolean;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  const parsed = parseCommandArgs(argv, {
    root: { type: 'string' },
    theme: { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
    strict: { type: 'boolean' },
    verbose: { type: 'boolean' },
    'no-db': { type: 'boolean' },
    'no-env-file': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, 'verify');
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length > 0) throw new MigrateError('USAGE', `unexpected argument "${parsed.positionals[0]}"`, { hint: 'See db verify --help.' });
  if (v.theme === '') throw new MigrateError('USAGE', '--theme needs a theme name');
  const root = path.resolve(v.root ?? '.');
  if (!existsSync(root)) throw new MigrateError('CONFIG', `project root ${root} does not exist`);
  const envFile = !v['no-env-file'];
  if (envFile) loadEnvFiles(root, env);
  const fromEnv = env.NEXT_PUBLIC_ACTIVE_THEME || undefined;
  return {
    root,
    theme: v.theme ?? fromEnv,
    themeOrigin: v.theme !== undefined ? '--theme' : 'NEXT_PUBLIC_ACTIVE_THEME',
    all: v.all ?? false,
    json: v.json ?? false,
    strict: v.strict ?? false,
    verbose: v.verbose ?? false,
    db: !v['no-db'],
    envFile,
  };
}

/** Which database the live checks read, or why they do not run. */
function liveTarget(options: Options, env: NodeJS.ProcessEnv): DatabaseTarget | string {
  if (!options.db) return '--no-db';
  const target = resolveTarget(options.root, env);
  // The embedded default is the engine's fallback, not a database anyone configured.
  if (target.kind === 'pglite' && target.isDefault) return 'no MIGRATE_DATABASE_URL or DATABASE_URL';
  if (target.kind === 'pglite' && target.dir && !existsSync(path.join(target.dir, 'PG_VERSION'))) {
    // Opening it would create a database: verification never writes.
    throw new MigrateError('CONFIG', `${target.origin} points at ${target.dir}, which holds no embedded database`, {
      hint: 'Run npm run db:migrate first, or fix the path.',
    });
  }
  return target;
}

async function runLive(target: DatabaseTarget, discovery: Discovery, corpus: Corpus, env: NodeJS.ProcessEnv): Promise<{ summary: DatabaseSummary; findings: Finding[] }> {
  const db = await openDatabase(target);
  try {
    const result = await db.transaction((tx) =>
      liveChecks(tx, { files: discovery.files, sources: discovery.sources, corpus, sampleData: env.NODE_ENV !== 'production' }),
    );
    return { summary: { database: db.display, trackingProblem: result.trackingProblem, pending: result.pending }, findings: result.findings };
  } finally {
    await db.close();
  }
}

/** Runs `db verify` and returns the exit code. */
export async function verifyCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Every theme config may be read here (--all, numbering): load the TypeScript parser up front.
  await loadThemeConfigParser();
  const json = argv.includes('--json');
  const style = makeStyle(!json && colourWanted(process.stdout, env));
  let secrets: string[] = [];
  const out = (text: string) => void process.stdout.write(scrub(text, secrets));
  const started = performance.now();
  try {
    const options = parseOptions(argv, env);
    if (options === 'help') {
      out(`${USAGE}\n`);
      return 0;
    }
    secrets = [...secretsOf(env.MIGRATE_DATABASE_URL), ...secretsOf(env.DATABASE_URL)];

    let active: Discovery | null = null;
    let setups: SetupFiles[];
    if (options.all) {
      setups = discoverAll(options.root).map((s) => ({ label: s.label, files: s.files }));
      if (options.theme) active = discover(options.root, options.theme, options.themeOrigin);
    } else {
      active = discover(options.root, options.theme, options.themeOrigin);
      setups = [{ label: setupLabel(active.theme, active.plugins), files: active.files }];
    }
    // Configuration problems surface before any work.
    const target = liveTarget(options, env);

    const parser = await loadParser();
    const result = verifyStatic(parser, setups);
    const findings = [...result.findings];

    let database: DatabaseSummary | null = null;
    let databaseSkipped: string | null = typeof target === 'string' ? target : null;
    if (typeof target !== 'string') {
      if (!active) {
        databaseSkipped = '--all without an active theme (set NEXT_PUBLIC_ACTIVE_THEME or pass --theme to compare the database)';
      } else {
        const label = setupLabel(active.theme, active.plugins);
        const corpus = result.corpora.get(label) ?? verifyStatic(parser, [{ label, files: active.files }]).corpora.get(label)!;
        const live = await runLive(target, active, corpus, env);
        database = live.summary;
        findings.push(...live.findings);
      }
    }

    const report = buildReport(
      {
        findings,
        setups: setups.map((s) => s.label),
        checked: result.files.length,
        database,
        databaseSkipped,
        suppressed: result.suppressed,
        unusedDirectives: result.unusedDirectives,
        durationMs: performance.now() - started,
      },
      options.strict,
    );
    out(json ? jsonReport(report, options.verbose) : `${humanReport(report, style, options.verbose).join('\n')}\n`);
    return report.ok ? 0 : 1;
  } catch (error) {
    const failure =
      error instanceof MigrateError ? error : new MigrateError('DATABASE', `unexpected error: ${(error as Error).message ?? String(error)}`, { cause: error });
    if (json) {
      out(
        `${JSON.stringify(
          { ok: false, findings: [], summary: { errors: 0, warnings: 0, files: 0 }, error: { code: failure.code, message: failure.message, hint: failure.hint } },
          null,
          2,
        )}\n`,
      );
    } else {
      process.stderr.write(scrub(`${style.red(`❌ ${failure.message}`)}\n${failure.hint ? `   → ${failure.hint}\n` : ''}`, secrets));
      if (!(error instanceof MigrateError) && error instanceof Error && env.DEBUG) process.stderr.write(`${error.stack ?? ''}\n`);
    }
    return failure.exitCode;
  }
}
