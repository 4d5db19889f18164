// From the options of an API call (or of a command line) to what a run needs:
// the project (root, theme, core folder) and the database. The environment and
// `.env` files are read only when the caller asks for them (`env`).
import path from 'node:path';
import { MigrateError } from '../core/errors.js';
import { secretsOf } from '../core/redact.js';
import { DATABASE_VARIABLES, embeddedDefault, resolveTarget, targetOfClient, targetOfUrl, type DatabaseTarget } from '../db/connect.js';
import { locateCore, type CoreLocation } from '../discover/core-dir.js';
import type { DiscoverOptions } from '../discover/project.js';
import { loadEnvFiles } from './env-files.js';
import { resolveLimits, type GivenSetting, type Limits } from '../core/limits.js';

/** Options every operation takes. */
export interface ProjectOptions {
  /** The app's root folder (holding `contents/`). Default: `process.cwd()`. */
  root?: string;
  /**
   * The database: a `postgres://` URL, `pglite:<dir>`, `pglite:memory`, or an open
   * connection you own and close (a connected `pg.Client`, or a `PGlite` instance).
   * Default: from the environment when `env` is given, else the embedded database in `<root>/.pglite`.
   */
  database?: string | object;
  /** The active theme. Default: `NEXT_PUBLIC_ACTIVE_THEME` when `env` is given. */
  theme?: string;
  /**
   * The core tier's folder, for a team that forks the core (relative to `root`).
   * Default: `MIGRATE_CORE_DIR` when `env` is given, else the core schema shipped in this package.
   */
  coreDir?: string;
  /**
   * Read configuration from environment variables (`true`: `process.env`, or an
   * object of your own) and from the app's `.env` files with Next.js precedence:
   * `MIGRATE_DATABASE_URL`, `DIRECT_URL`, `DATABASE_URL`, `NEXT_PUBLIC_ACTIVE_THEME`,
   * `MIGRATE_CORE_DIR`, `NODE_ENV`; for `migrate`, `MIGRATE_LOCK_TIMEOUT`, `MIGRATE_LOCK_RETRIES`,
   * `MIGRATE_STATEMENT_TIMEOUT`. Default: nothing is read; options only.
   */
  env?: boolean | Record<string, string | undefined>;
  /** With `env`: also read `.env`, `.env.local`, `.env.<NODE_ENV>`… Default true. */
  envFiles?: boolean;
  /**
   * Seconds a connection attempt to a server may take (a server that accepts TCP and
   * never answers). Default: `MIGRATE_CONNECT_TIMEOUT` when `env` is given, else 10.
   */
  connectTimeout?: number;
  /**
   * Seconds to keep retrying a server that refuses connections, is unreachable or is
   * starting up (containers started together). Default: `MIGRATE_WAIT` with `env`, else 0.
   */
  wait?: number;
}

/** How each setting is named in messages (the command line passes its flags). */
export interface OptionNames {
  theme: string;
  coreDir: string;
  database: string;
}

export const API_OPTION_NAMES: OptionNames = { theme: 'the theme option', coreDir: 'the coreDir option', database: 'the database option' };

export interface ResolvedConfig {
  project: DiscoverOptions;
  target: DatabaseTarget;
  /** The variables the run may consult (empty unless `env` was given); never process.env itself. */
  env: Readonly<Record<string, string | undefined>>;
  /** `.env` files read, highest precedence first. */
  envFilesLoaded: string[];
  /** Passwords of every configured URL, for scrubbing output. */
  secrets: string[];
}

/** Resolves options (and, when asked, the environment) into a run's configuration. */
export function resolveConfig(options: ProjectOptions, names: OptionNames = API_OPTION_NAMES): ResolvedConfig {
  const root = path.resolve(options.root ?? process.cwd());
  const env: Record<string, string | undefined> = options.env === true ? { ...process.env } : options.env ? { ...options.env } : {};
  const envFilesLoaded = options.env && options.envFiles !== false ? loadEnvFiles(root, env) : [];
  const secrets = DATABASE_VARIABLES.flatMap((name) => secretsOf(env[name]));

  let target: DatabaseTarget;
  if (typeof options.database === 'string') {
    secrets.push(...secretsOf(options.database));
    target = targetOfUrl(root, options.database, names.database);
  } else if (options.database !== undefined && options.database !== null) {
    target = targetOfClient(options.database, names.database);
  } else {
    target = options.env ? resolveTarget(root, env) : embeddedDefault(root);
  }

  const themeFromEnv = env.NEXT_PUBLIC_ACTIVE_THEME || undefined;
  const theme = options.theme ?? themeFromEnv;
  if (theme === '') throw new MigrateError('USAGE', `${names.theme} needs a theme name`);
  const coreDir = options.coreDir ?? (env.MIGRATE_CORE_DIR || undefined);
  let core: CoreLocation;
  if (coreDir !== undefined) {
    core = locateCore(root, { dir: coreDir, origin: options.coreDir !== undefined ? (names.coreDir === '--core-dir' ? '--core-dir' : 'option') : 'MIGRATE_CORE_DIR' });
  } else {
    core = locateCore(root);
  }
  if (target.kind === 'postgres') target = { ...target, connect: connectSettingsOf(options, env) };
  return {
    project: { root, theme, themeOrigin: options.theme !== undefined ? names.theme : 'NEXT_PUBLIC_ACTIVE_THEME', core },
    target,
    env,
    envFilesLoaded,
    secrets,
  };
}

/** The lock and statement timeouts a migration run takes; see MigrateOptions. */
export interface LimitOptions {
  /**
   * How long each attempt of a file may wait for a table lock (`lock_timeout`), in
   * PostgreSQL's units (`'500ms'`, `'5s'`, `'1min'`) or as a number of ms; 0 waits
   * without limit. Default: `MIGRATE_LOCK_TIMEOUT` when `env` is given, else `'5s'`.
   */
  lockTimeout?: string | number;
  /** Retries of a file after a lock timeout (0: none). Default: `MIGRATE_LOCK_RETRIES` when `env` is given, else 9 (10 attempts). */
  lockRetries?: number | string;
  /** `statement_timeout` of each file's statements, as lockTimeout. Default: `MIGRATE_STATEMENT_TIMEOUT` when `env` is given, else none. */
  statementTimeout?: string | number;
}

/**
 * The limits of a run: an option wins, then the environment variable (read only
 * when the caller asked for the environment), then the default. USAGE / CONFIG
 * error (exit 2) naming the option or variable for a bad value.
 */
export function limitsWanted(options: LimitOptions, config: ResolvedConfig): Limits {
  const pick = (value: string | number | undefined, option: string, variable: string): GivenSetting | undefined => {
    if (value !== undefined) return { value, origin: option };
    const fromEnv = config.env[variable];
    return fromEnv !== undefined && fromEnv !== '' ? { value: fromEnv, origin: variable } : undefined;
  };
  return resolveLimits({
    lockTimeout: pick(options.lockTimeout, 'the lockTimeout option', 'MIGRATE_LOCK_TIMEOUT'),
    lockRetries: pick(options.lockRetries, 'the lockRetries option', 'MIGRATE_LOCK_RETRIES'),
    statementTimeout: pick(options.statementTimeout, 'the statementTimeout option', 'MIGRATE_STATEMENT_TIMEOUT'),
  });
}

/**
 * Whether `*sample_data*` files run. An explicit choice wins; with the environment
 * read, they run unless NODE_ENV=production; without it, never (a boot-time call
 * of the API on a production database must not insert sample users by default).
 */
export function sampleDataWanted(explicit: boolean | undefined, config: ResolvedConfig, envRead: boolean): boolean {
  if (explicit !== undefined) return explicit;
  return envRead && config.env.NODE_ENV !== 'production';
}

/**
 * A number of seconds (`--wait 30`, `MIGRATE_CONNECT_TIMEOUT=5`, `1.5`), in ms;
 * anything else is a usage error naming where it came from.
 */
export function secondsSetting(value: number | string, name: string): number {
  const seconds = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new MigrateError('USAGE', `${name} must be a number of seconds, not "${String(value)}"`, { hint: `For example ${name.startsWith('-') ? `${name} 30` : `${name}=30`}.` });
  }
  return Math.round(seconds * 1000);
}

/** The connect timeout and the wait of a run on a server: options first, then the environment. */
function connectSettingsOf(options: ProjectOptions, env: Readonly<Record<string, string | undefined>>): { timeoutMs: number; waitMs: number } {
  const pick = (option: number | string | undefined, optionName: string, variable: string, fallbackMs: number) => {
    if (option !== undefined) return secondsSetting(option, optionName);
    const value = env[variable];
    return value ? secondsSetting(value, variable) : fallbackMs;
  };
  return {
    timeoutMs: pick(options.connectTimeout, 'connectTimeout', 'MIGRATE_CONNECT_TIMEOUT', 10_000),
    waitMs: pick(options.wait, 'wait', 'MIGRATE_WAIT', 0),
  };
}
