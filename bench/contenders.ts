// The contenders and the exact command each runs per scenario. Every contender
// gets the same files in the same order (ours decides the order; the others are
// fed it in their own formats), the same server and a database of its own.
import path from 'node:path';
import { resolveBinary } from 'dbmate';
import type { CommandSpec } from './measure.js';
import type { PreparedCorpus } from './workspace.js';

/** The floor's script (in bench/, copied into the engine snapshot so it loads the engine's `pg`). */
export const FLOOR_SCRIPT = 'floor-select-one.mjs';

/** node-pg-migrate's folder in the benchmark's own install (bench/package.json), not the package's. */
export function nodePgMigrateDir(repoRoot: string): string {
  return path.join(repoRoot, 'bench', 'node_modules', 'node-pg-migrate');
}

export type ContenderId = 'floor' | 'dbmate' | 'node-pg-migrate' | 'ours';

/** Server scenarios: every contender takes part (a command of null means "has no such command"). */
export type ServerScenario = 'fresh' | 'noop' | 'status';

/** How a contender reaches its database in one run. */
export interface Connection {
  /** A postgres:// URL without SSL negotiation (`sslmode=disable` where the client needs it). */
  url: (options?: { sslDisable?: boolean }) => string;
}

export interface Contender {
  id: ContenderId;
  /** What it is, per scenario, for the tables. */
  label(scenario: ServerScenario): string;
  command(scenario: ServerScenario, corpus: PreparedCorpus, db: Connection): CommandSpec | null;
}

/**
 * Where the tools live: the engine and its dependencies in this repository and
 * its node_modules, the peers in the benchmark's own install (bench/node_modules).
 */
export interface Toolbox {
  repoRoot: string;
  /**
   * A copy of the engine as an app installs it (package.json, bin/, dist/,
   * migrations/: the package's `files`) and of the floor script, taken when the
   * benchmark starts: a rebuild of dist/ during a run cannot change what is
   * measured half-way, or break a run while esbuild rewrites a file.
   * Its node_modules links to the repository's, so `pg` and the rest resolve
   * from the package's own install, never from bench/node_modules.
   */
  engineRoot: string;
  node: string;
  psql: string;
}

export function contenders(tools: Toolbox): Contender[] {
  const node = tools.node;
  const floor: Contender = {
    id: 'floor',
    label: (s) => (s === 'fresh' ? 'psql, one session, BEGIN/COMMIT per file' : 'node + pg: connect, SELECT 1'),
    command(scenario, corpus, db): CommandSpec {
      if (scenario === 'fresh') {
        return {
          file: tools.psql,
          args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url({ sslDisable: true }), '-f', corpus.psqlScript],
          cwd: corpus.workDir,
          env: {},
        };
      }
      return { file: node, args: [path.join(tools.engineRoot, FLOOR_SCRIPT)], cwd: corpus.workDir, env: { DATABASE_URL: db.url() } };
    },
  };
  const dbmateBinary = resolveBinary();
  const dbmate: Contender = {
    id: 'dbmate',
    label: (s) => (s === 'status' ? 'dbmate status' : 'dbmate migrate --no-dump-schema'),
    command(scenario, corpus, db) {
      // --no-dump-schema: dbmate's default pg_dump after migrating is work none of the others do.
      // It reads ./.env when present: the working folder has none.
      const tail = scenario === 'status' ? ['status'] : ['--no-dump-schema', 'migrate'];
      return {
        file: dbmateBinary,
        args: ['--url', db.url({ sslDisable: true }), '--migrations-dir', corpus.dbmateMigrations, ...tail],
        cwd: corpus.workDir,
        env: {},
      };
    },
  };
  const nodePgMigrate: Contender = {
    id: 'node-pg-migrate',
    label: (s) => (s === 'status' ? '(no status command)' : 'node-pg-migrate up --no-single-transaction'),
    command(scenario, corpus, db) {
      if (scenario === 'status') return null;
      // One transaction per file like the others (its default is one for the whole run);
      // --no-verbose: its default prints every statement, which none of the others do.
      return {
        file: node,
        args: [path.join(nodePgMigrateDir(tools.repoRoot), 'bin', 'node-pg-migrate.js'), 'up', '-m', corpus.npmMigrations, '--no-single-transaction', '--no-verbose'],
        cwd: corpus.workDir,
        env: { DATABASE_URL: db.url() },
      };
    },
  };
  const ours: Contender = {
    id: 'ours',
    label: (s) => (s === 'status' ? 'tiered-migrate status' : 'tiered-migrate migrate'),
    command(scenario, corpus, db) {
      return {
        file: node,
        args: oursArgs(tools, scenario === 'status' ? 'status' : 'migrate', corpus),
        cwd: corpus.workDir,
        env: { DATABASE_URL: db.url(), NEXT_PUBLIC_ACTIVE_THEME: corpus.theme },
      };
    },
  };
  return [floor, dbmate, nodePgMigrate, ours];
}

/**
 * The installed command (`npx tiered-migrate <command>` runs bin/tiered-migrate.mjs)
 * on a corpus. `--core-dir migrations`: a corpus's core tier is its own migrations/
 * folder (a forked core, to the engine), not the core shipped in the package.
 */
function oursArgs(tools: Toolbox, command: string, corpus: Pick<PreparedCorpus, 'root'>): string[] {
  return [path.join(tools.engineRoot, 'bin', 'tiered-migrate.mjs'), command, '--root', corpus.root, '--core-dir', 'migrations', '--no-env-file'];
}

/** Ours on the embedded database in `dir` (PGlite), fresh or not depending on the folder. */
export function oursEmbedded(tools: Toolbox, corpus: PreparedCorpus, dir: string): CommandSpec {
  return {
    file: tools.node,
    args: oursArgs(tools, 'migrate', corpus),
    cwd: corpus.workDir,
    env: { DATABASE_URL: `pglite:${dir}`, NEXT_PUBLIC_ACTIVE_THEME: corpus.theme },
  };
}

/** Ours, static verification only (no database). */
export function oursVerify(tools: Toolbox, corpus: PreparedCorpus): CommandSpec {
  return {
    file: tools.node,
    args: [...oursArgs(tools, 'verify', corpus), '--no-db'],
    cwd: corpus.workDir,
    env: { NEXT_PUBLIC_ACTIVE_THEME: corpus.theme },
  };
}

/** A check of verify on a shadow database (an in-memory PGlite). */
export type ShadowCheck = 'fresh' | 'idempotency' | 'isolation';

/** Ours, `verify --no-db --<check> --json`: the JSON carries verify's own split of the time. */
export function oursShadow(tools: Toolbox, corpus: PreparedCorpus, check: ShadowCheck): CommandSpec {
  return {
    file: tools.node,
    args: [...oursArgs(tools, 'verify', corpus), '--no-db', `--${check}`, '--json'],
    cwd: corpus.workDir,
    env: { NEXT_PUBLIC_ACTIVE_THEME: corpus.theme },
  };
}

/** Ours, `--dry-run --json`: the order every contender is fed. */
export function oursDryRun(tools: Toolbox, corpus: Pick<PreparedCorpus, 'root' | 'theme' | 'workDir'>, url: string): CommandSpec {
  return {
    file: tools.node,
    args: [...oursArgs(tools, 'migrate', corpus), '--dry-run', '--json'],
    cwd: corpus.workDir,
    env: { DATABASE_URL: url, NEXT_PUBLIC_ACTIVE_THEME: corpus.theme },
  };
}
