// The PostgreSQL client programs backup and restore run (pg_dump, pg_restore,
// psql): where they are, which major version they are, and the environment that
// connects them to a URL without the password ever being in their argv (which
// `ps` shows to every user of the machine).
import { spawn } from 'node:child_process';
import { MigrateError } from '../core/errors.js';

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

/** The variable that names each program, overriding PATH. */
export const TOOL_VARIABLES: Record<PgTool, string> = { pg_dump: 'PG_DUMP', pg_restore: 'PG_RESTORE', psql: 'PSQL' };

export interface FoundTool {
  tool: PgTool;
  /** What is run: the variable's value, or the bare name found on PATH. */
  command: string;
  /** Where it came from, for messages: `PG_DUMP` or `PATH`. */
  origin: string;
  major: number;
  /** The first line of `--version`. */
  version: string;
}

/** What a program's `--version` printed, and its exit; null when it could not be started. */
async function versionOf(command: string): Promise<{ code: number | null; text: string } | null> {
  return new Promise((resolve) => {
    let text = '';
    let child;
    try {
      child = spawn(command, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      return resolve(null);
    }
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve({ code, text }));
  });
}

/** The major version in `pg_dump (PostgreSQL) 15.20 (Debian …)` / `psql (PostgreSQL) 18beta1`; null when there is none. */
export function majorOfVersionLine(text: string): number | null {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(text) ?? /\b(\d+)(?:\.\d+|beta|rc|devel)/.exec(text);
  return match ? Number(match[1]) : null;
}

/** How to get a client of `major` (or newer), for hints. */
export function installHint(tool: PgTool, major: number): string {
  return (
    `Install the PostgreSQL ${major} client programs (Debian/Ubuntu: apt install postgresql-client-${major}, from apt.postgresql.org when your release lacks it; ` +
    `macOS: brew install postgresql@${major}), or set ${TOOL_VARIABLES[tool]} to a ${tool} of version ${major} or newer (e.g. ${TOOL_VARIABLES[tool]}=/usr/lib/postgresql/${major}/bin/${tool}).`
  );
}

/**
 * Finds `tool` (its variable, else PATH) and checks that it is at least `serverMajor`:
 * pg_dump refuses a newer server, and pg_restore / psql of an older major may not read
 * what a newer one wrote. Absent or too old: a CONFIG error (exit 2) naming both
 * versions and how to fix it.
 */
export async function findTool(tool: PgTool, serverMajor: number, env: Readonly<Record<string, string | undefined>>): Promise<FoundTool> {
  const variable = TOOL_VARIABLES[tool];
  const command = env[variable] || tool;
  const origin = env[variable] ? variable : 'PATH';
  const printed = await versionOf(command);
  if (printed === null || printed.code !== 0) {
    throw new MigrateError('CONFIG', `${tool} was not found${origin === 'PATH' ? ' on PATH' : ` (${variable}=${command})`}; the server is PostgreSQL ${serverMajor}`, {
      hint: installHint(tool, serverMajor),
    });
  }
  const version = printed.text.trim().split('\n')[0] ?? '';
  const major = majorOfVersionLine(version);
  if (major === null) throw new MigrateError('CONFIG', `cannot tell the version of ${command} (from ${origin}): it printed "${version}"`, { hint: installHint(tool, serverMajor) });
  if (major < serverMajor) {
    throw new MigrateError('CONFIG', `${tool} ${major} (${command}, from ${origin}) is older than the server, PostgreSQL ${serverMajor}: it cannot back it up`, {
      hint: installHint(tool, serverMajor),
    });
  }
  return { tool, command, origin, major, version };
}

/** Connection parameters libpq accepts in a URL; others (Prisma's `schema`, `pgbouncer`, node-postgres's `uselibpqcompat`) would make it refuse the URL. */
const LIBPQ_PARAMETERS = new Set([
  'host', 'hostaddr', 'port', 'dbname', 'user', 'passfile', 'channel_binding', 'connect_timeout', 'client_encoding', 'options',
  'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count',
  'tcp_user_timeout', 'gssencmode', 'sslmode', 'sslcert', 'sslkey', 'sslpassword', 'sslcertmode', 'sslrootcert', 'sslcrl', 'sslcrldir',
  'sslsni', 'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'gssdelegation',
  'target_session_attrs', 'load_balance_hosts',
]);

/** node-postgres sslmode values libpq does not know, and what libpq calls them. */
const SSLMODE_FOR_LIBPQ: Record<string, string> = { 'no-verify': 'require' };

export interface LibpqConnection {
  /** The URL without its password (and without parameters libpq refuses): safe in argv. */
  dbname: string;
  /** Variables for the child process: the password travels in PGPASSWORD, never in argv. */
  env: NodeJS.ProcessEnv;
}

/** How a client program connects to `url`: a password-free URL for `--dbname`, and the password in its environment. */
export function libpqConnection(url: string, baseEnv: NodeJS.ProcessEnv): LibpqConnection {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : (parsed.searchParams.get('password') ?? '');
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) if (!LIBPQ_PARAMETERS.has(key)) parsed.searchParams.delete(key);
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode && SSLMODE_FOR_LIBPQ[sslmode]) parsed.searchParams.set('sslmode', SSLMODE_FOR_LIBPQ[sslmode]!);
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  // A PGPASSWORD of the caller's would otherwise be sent to this server.
  delete env.PGPASSWORD;
  if (password) env.PGPASSWORD = password;
  return { dbname: parsed.toString(), env };
}

/** The server's major version (`server_version_num` 150020 → 15). */
export function majorOfServerVersionNum(versionNum: number): number {
  return Math.floor(versionNum / 10_000);
}
