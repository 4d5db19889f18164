// Starts a PgBouncer in transaction-pooling mode in front of a test server, so the
// engine is tested where session state does not survive between transactions.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

export interface Bouncer {
  /** `url` with host and port replaced by PgBouncer's. */
  urlFor(serverUrl: string): string;
  stop(): void;
}

const BINARIES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** Why PgBouncer cannot be used here, or null when it can. */
export function pgbouncerUnavailable(): string | null {
  return BINARIES.some((b) => existsSync(b)) ? null : `pgbouncer is not installed (looked for ${BINARIES.join(', ')}; .ci/run installs it with apt-get)`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts PgBouncer (pool of `poolSize` server connections per database) for `serverUrl`'s server. */
export async function startPgbouncer(serverUrl: string, poolSize: number): Promise<Bouncer> {
  const binary = BINARIES.find((b) => existsSync(b))!;
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-pgbouncer-'));
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432} user=${user}${password ? ` password=${password}` : ''}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      'unix_socket_dir =',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      'ignore_startup_parameters = extra_float_digits,application_name',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o777);
  // PgBouncer refuses to run as root: run it as the postgres (or nobody) user then.
  const asRoot = process.getuid?.() === 0;
  const runAs = spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
  const child = asRoot
    ? spawn('runuser', ['-u', runAs, '--', binary, path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' })
    : spawn(binary, [path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill();
    const log = existsSync(path.join(dir, 'pgbouncer.log')) ? readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8') : '';
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  return {
    urlFor(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop() {
      // Signal PgBouncer itself: under runuser, the spawned process is only its parent.
      try {
        process.kill(Number.parseInt(readFileSync(path.join(dir, 'pgbouncer.pid'), 'utf8'), 10), 'SIGTERM');
      } catch {
        /* not running any more */
      }
      child.kill('SIGTERM');
      child.unref();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
