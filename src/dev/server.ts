// `dev` as a library operation: migrate the embedded database, serve that same
// PGlite instance over the PostgreSQL wire protocol, and apply migration files
// as they are saved. Nothing is printed: the caller renders the events.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { runResolved, type MigrateOptions } from '../api/migrate.js';
import type { ResolvedConfig } from '../api/config.js';
import { embeddedDefault } from '../db/connect.js';
import { acquireFolderLock } from '../db/folder-lock.js';
import type { RunEvent, RunResult } from '../run/events.js';
import { serveSession, type Bridge, type BridgeEvent } from './bridge.js';
import { instanceTarget, startPglite } from './embedded.js';
import { watchFolders, type Watcher } from './watch.js';

export const DEFAULT_DEV_PORT = 54329;
export const DEFAULT_DEV_HOST = '127.0.0.1';

export type DevEvent =
  | BridgeEvent
  /** A server URL is configured: dev serves the embedded database regardless. */
  | { type: 'server-url-ignored'; origin: string }
  | { type: 'serving'; url: string; host: string; port: number; dir: string | null }
  | { type: 'watching'; dirs: string[] }
  | { type: 'changed'; files: string[] }
  /** A change waits for the connected client to end its transaction. */
  | { type: 'waiting-for-transaction' }
  | { type: 'watch-error'; message: string };

export interface DevOptions {
  host?: string;
  port?: number;
  /** Quiet time after a save before the migration run (ms). */
  debounceMs?: number;
  /** Options of each migration run (sample data, strict order…); `onEvent` is ignored, see `reporter`. */
  migrate: MigrateOptions;
  /** The event sink of one migration run: the first at start, then one per burst of changes. */
  reporter: (run: 'start' | 'change') => (event: RunEvent) => void;
  onEvent?: (event: DevEvent) => void;
}

export interface DevServer {
  /** The DATABASE_URL an app uses to reach the served database. */
  readonly url: string;
  readonly port: number;
  /** The result of the migration run at start (a failure does not stop the server: fix the file and save). */
  readonly initial: RunResult;
  /** Settles when the current migration run, if any, is done. */
  idle(): Promise<void>;
  /** Stops watching and serving, rolls back an open client transaction, closes the database and releases its folder. */
  close(): Promise<void>;
}

/** Migrates and serves the embedded database of `config`'s project (its pglite: folder, or the default .pglite). */
export async function startDev(config: ResolvedConfig, options: DevOptions): Promise<DevServer> {
  const emit = options.onEvent ?? (() => undefined);
  const root = config.project.root;
  let target = config.target;
  if (target.kind !== 'pglite') {
    emit({ type: 'server-url-ignored', origin: target.origin });
    target = embeddedDefault(root);
  }
  const dir = target.kind === 'pglite' ? target.dir : null;
  let release: (() => void) | null = null;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    release = await acquireFolderLock(dir, 5_000);
  }
  let db: PGlite | null = null;
  let bridge: Bridge | null = null;
  let watcher: Watcher | null = null;
  let stopping = false;
  let running: Promise<void> = Promise.resolve();
  const shutDown = async () => {
    stopping = true;
    watcher?.close();
    try {
      // The bridge first: it rolls back a client's open transaction, which a waiting run may need.
      await bridge?.close();
      await running.catch(() => undefined);
      await db?.close();
    } finally {
      release?.();
    }
  };
  try {
    db = await startPglite(dir);
    const runConfig: ResolvedConfig = { ...config, target: instanceTarget(db, dir, dir ? `the embedded database ${dir} (served by dev)` : 'the in-memory database (served by dev)') };
    const migrateOnce = (run: 'start' | 'change') => runResolved('migrate', runConfig, { ...options.migrate, onEvent: options.reporter(run) });
    const initial = await migrateOnce('start');

    bridge = await serveSession(db, { host: options.host ?? DEFAULT_DEV_HOST, port: options.port ?? DEFAULT_DEV_PORT, onEvent: emit });
    const served = bridge;
    const host = served.host.includes(':') ? `[${served.host}]` : served.host;
    const url = `postgres://postgres@${host}:${served.port}/postgres`;
    emit({ type: 'serving', url, host: served.host, port: served.port, dir });

    // A burst of saves during a run is applied by one more run after it.
    let again = false;
    let busy = false;
    const onChange = (files: string[]) => {
      emit({ type: 'changed', files });
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      running = (async () => {
        try {
          do {
            again = false;
            if (served.clientInTransaction) emit({ type: 'waiting-for-transaction' });
            await served.exclusive(async () => {
              if (!stopping) await migrateOnce('change');
            });
          } while (again && !stopping);
        } finally {
          busy = false;
        }
      })();
    };
    const watched = [path.join(root, 'contents'), path.resolve(root, config.project.core.dir)];
    watcher = watchFolders(root, watched, options.debounceMs ?? 300, onChange, (error) => emit({ type: 'watch-error', message: error.message }));
    emit({ type: 'watching', dirs: watched.map((d) => path.relative(root, d) || '.') });

    let closed: Promise<void> | null = null;
    return {
      url,
      port: served.port,
      initial,
      idle: () => running,
      close() {
        closed ??= shutDown();
        return closed;
      },
    };
  } catch (error) {
    await shutDown();
    throw error;
  }
}
