// Why a connection could not be made, and what to do about it. Pure: it reads the
// driver's error (a socket error code, or the server's SQLSTATE while it refused
// the session) and returns our CONNECTION error (exit 2) with a hint. The URL in
// messages is always the redacted one.
import { MigrateError } from '../core/errors.js';

/**
 * The kinds of failure. `refused`, `unreachable` and `starting` may go away by
 * themselves (a container still starting): `--wait` retries only those.
 */
export type ConnectFailureKind = 'refused' | 'unreachable' | 'starting' | 'timeout' | 'auth' | 'no-database' | 'ssl' | 'other';

/** A connection that could not be made; `kind` says why (see ConnectFailureKind). */
export class ConnectionError extends MigrateError {
  override readonly name = 'ConnectionError';
  readonly kind: ConnectFailureKind;
  constructor(kind: ConnectFailureKind, message: string, hint: string, cause?: unknown) {
    super('CONNECTION', message, { hint, cause });
    this.kind = kind;
  }
}

/** The failures worth another try under `--wait`. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ConnectionError && (error.kind === 'refused' || error.kind === 'unreachable' || error.kind === 'starting');
}

/** What a URL names, for hints (never its password). */
function partsOf(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const u = new URL(url);
    return {
      host: decodeURIComponent(u.hostname) || 'localhost',
      port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || '(the default user)',
    };
  } catch {
    return { host: '(the host)', port: '5432', database: '(the database)', user: '(the user)' };
  }
}

const URL_VARIABLES = 'MIGRATE_DATABASE_URL (or DIRECT_URL / DATABASE_URL)';

/**
 * Our error for a failed connection attempt on `url` (`shown` is its redacted form,
 * `clean` scrubs passwords from driver text). `timeoutMs` is the connect timeout
 * in force, for the message of a server that never answered.
 */
export function connectFailure(error: unknown, url: string, shown: string, clean: (s: string) => string, timeoutMs: number): ConnectionError {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const text = clean(String(e.message ?? error));
  const { host, port, database, user } = partsOf(url);
  const at = `cannot connect to ${shown}`;
  switch (code) {
    case '28P01':
    case '28000':
      return new ConnectionError(
        'auth',
        `${at}: ${text}`,
        code === '28P01'
          ? `The password of role "${user}" is wrong: fix it in ${URL_VARIABLES} (percent-encode @ : / # in it).`
          : `The server refused role "${user}" (pg_hba.conf has no matching line, or the role does not exist, or the auth method needs another credential): check the user and the server's pg_hba.conf, or use the URL your provider gives.${/encryption|ssl/i.test(text) ? ' The server only accepts encrypted connections: add ?sslmode=require to the URL.' : ''}`,
        error,
      );
    case '3D000':
      return new ConnectionError(
        'no-database',
        `${at}: ${text}`,
        `Create it first: createdb -h ${host} -p ${port} ${database}   (or, connected to another database: CREATE DATABASE "${database.replace(/"/g, '""')}";), or fix the database name in ${URL_VARIABLES}.`,
        error,
      );
    case '57P03':
      return new ConnectionError('starting', `${at}: ${text}`, 'The server is starting up (or recovering): try again in a moment, or pass --wait <seconds> to keep trying.', error);
    case 'ECONNREFUSED':
      return new ConnectionError('refused', `${at}: connection refused (nothing listens on ${host}:${port})`, `Start the server, or fix the host and port in ${URL_VARIABLES}; when it is starting together with this command (containers), pass --wait <seconds>.`, error);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError('unreachable', `${at}: host "${host}" not found (DNS)`, `Check the host name in ${URL_VARIABLES}; a container's name resolves only once it runs (--wait <seconds>).`, error);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new ConnectionError('unreachable', `${at}: ${host}:${port} is unreachable (${code})`, `Check the host, the port, the network and any firewall between here and the server; --wait <seconds> keeps trying.`, error);
  }
  if (/timeout/i.test(text)) {
    return new ConnectionError(
      'timeout',
      `${at}: no answer within ${timeoutMs / 1000} s`,
      `Something at ${host}:${port} accepted the connection but never answered as PostgreSQL would (a stopped server, a proxy, a wrong port). Check the URL; --connect-timeout <seconds> (MIGRATE_CONNECT_TIMEOUT) gives a slow server longer.`,
      error,
    );
  }
  if (/ssl|tls|certificate|self[- ]signed/i.test(text)) {
    const hint = /does not support ssl/i.test(text)
      ? 'The server does not accept SSL: use sslmode=disable (or prefer) in the URL.'
      : /self[- ]signed|certificate/i.test(text)
        ? "The server's certificate is not trusted here: use sslmode=require (encrypted, certificate not checked), or give the CA with sslrootcert=<file> and sslmode=verify-full."
        : 'Set sslmode in the URL: require for a server that only accepts SSL, disable for one that has none.';
    return new ConnectionError('ssl', `${at}: ${text}`, hint, error);
  }
  return new ConnectionError('other', `${at}: ${text}`, `Check that the server is running and that ${URL_VARIABLES} is right.`, error);
}
