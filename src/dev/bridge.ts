// The PostgreSQL wire protocol over TCP, answered by one in-process PGlite
// instance: the dev server's bridge. PGlite is a single session, so one client
// is served at a time; a second client waits (after its SSL negotiation) until
// the first disconnects, and is told so by a notice once it is let in. Each
// complete client message is handed to PGlite as it is (PGlite answers the
// startup message itself), and its response is written back unchanged.
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { MigrateError } from '../core/errors.js';
import { Mutex } from './mutex.js';
import {
  CANCEL_REQUEST,
  GSSENC_REQUEST,
  ResponseTail,
  SSL_REQUEST,
  TERMINATE,
  errorResponse,
  isStartupMessage,
  nextPacket,
  noticeResponse,
  queryMessage,
  requestCode,
  startupParameters,
  syncMessage,
} from './wire.js';

/** What the bridge needs of PGlite. */
export type WireDatabase = Pick<PGlite, 'execProtocolRawStream' | 'runExclusive' | 'isInTransaction'>;

export type BridgeEvent =
  | { type: 'client:connected'; id: number; user: string | null; database: string | null; application: string | null; waitedMs: number }
  /** A client arrived while another is served: it waits until the first disconnects. */
  | { type: 'client:waiting'; id: number; servedId: number; queued: number }
  | { type: 'client:disconnected'; id: number; rolledBack: boolean }
  | { type: 'client:error'; id: number; message: string };

export interface BridgeOptions {
  host: string;
  port: number;
  onEvent?: (event: BridgeEvent) => void;
}

export interface Bridge {
  readonly host: string;
  /** The port listened on (the one asked for, or the one the system chose for port 0). */
  readonly port: number;
  /**
   * Runs `fn` while no client is inside a transaction or a message: client messages
   * wait meanwhile. Migrations run here, on the same PGlite instance.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** True while the connected client has a transaction open (so `exclusive` waits for it). */
  readonly clientInTransaction: boolean;
  /** Stops listening, disconnects every client (rolling back an open transaction), waits until done. */
  close(): Promise<void>;
}

interface Connection {
  id: number;
  socket: net.Socket;
  buffer: Buffer;
  /** Before the startup message, packets have no type byte. */
  started: boolean;
  startup: Buffer | null;
  arrivedAt: number;
  /** Serialises this connection's messages. */
  chain: Promise<void>;
  closed: boolean;
  /** Settles once the socket closed and its hand-over (if it was served) is scheduled. */
  gone: Promise<void>;
}

/** Listens on host:port and serves PGlite's single session to one client at a time. */
export async function serveSession(db: WireDatabase, options: BridgeOptions): Promise<Bridge> {
  const emit = options.onEvent ?? (() => undefined);
  const session = new Mutex();
  /** Held by the served client from its first message until the session is idle again. */
  let clientHold: (() => void) | null = null;
  let served: Connection | null = null;
  const waiting: Connection[] = [];
  const all = new Set<Connection>();
  let nextId = 1;
  let closing = false;
  let lastHandover: Promise<void> = Promise.resolve();

  /** Sends one message to PGlite; returns the transaction status when the response ends with ReadyForQuery. */
  const send = async (packet: Buffer, write: ((chunk: Buffer) => void) | null): Promise<'I' | 'T' | 'E' | null> => {
    const tail = new ResponseTail();
    await db.runExclusive(() =>
      db.execProtocolRawStream(packet, {
        onRawData: (data) => {
          tail.push(data);
          // The data is PGlite's memory, reused by the next call: copy it.
          write?.(Buffer.from(data));
        },
      }),
    );
    return tail.readyStatus();
  };

  const holdSession = async () => {
    clientHold ??= await session.acquire();
  };
  const releaseSession = () => {
    const release = clientHold;
    clientHold = null;
    release?.();
  };

  const write = (conn: Connection) => (chunk: Buffer) => {
    if (!conn.closed) conn.socket.write(chunk);
  };

  const fail = (conn: Connection, error: unknown) => {
    emit({ type: 'client:error', id: conn.id, message: (error as Error).message });
    if (!conn.closed) conn.socket.end(errorResponse('FATAL', '08P01', (error as Error).message));
  };

  /** Lets `conn` in: its startup message goes to PGlite, then its buffered messages. */
  const admit = (conn: Connection) => {
    served = conn;
    const waitedMs = Date.now() - conn.arrivedAt;
    conn.chain = conn.chain.then(async () => {
      await holdSession();
      const params = startupParameters(conn.startup!);
      const chunks: Buffer[] = [];
      const status = await send(conn.startup!, (chunk) => chunks.push(chunk));
      let response = Buffer.concat(chunks);
      if (waitedMs > 250 && status !== null) {
        // Before ReadyForQuery, so that the client has it once its connect() resolves.
        const notice = noticeResponse('00000', `tiered-migrate dev: this connection waited ${(waitedMs / 1000).toFixed(1)} s for another client to disconnect (the embedded database serves one client at a time)`);
        response = Buffer.concat([response.subarray(0, -6), notice, response.subarray(-6)]);
      }
      write(conn)(response);
      conn.started = true;
      emit({ type: 'client:connected', id: conn.id, user: params.user ?? null, database: params.database ?? null, application: params.application_name || null, waitedMs });
      if (status === 'I') releaseSession();
    });
    conn.chain = conn.chain.catch((error) => fail(conn, error));
    pump(conn);
  };

  /** Handles every complete packet in the connection's buffer, in order. */
  const pump = (conn: Connection) => {
    for (;;) {
      if (conn.closed) return;
      // A waiting client's messages stay buffered until it is admitted.
      if (conn.startup && served !== conn) return;
      let next: ReturnType<typeof nextPacket>;
      try {
        next = nextPacket(conn.buffer, conn.startup !== null);
      } catch (error) {
        fail(conn, error);
        return;
      }
      if (!next) return;
      conn.buffer = next.rest;
      const packet = Buffer.from(next.packet);
      if (conn.startup === null) {
        const code = requestCode(packet);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          conn.socket.write('N'); // no encryption on a local development socket
          continue;
        }
        if (code === CANCEL_REQUEST) {
          // PGlite runs in this process's thread: a running statement cannot be interrupted.
          conn.socket.end();
          return;
        }
        if (!isStartupMessage(code)) {
          conn.socket.end(errorResponse('FATAL', '0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`));
          return;
        }
        conn.startup = packet;
        if (served === null && !closing) {
          admit(conn);
          return;
        }
        waiting.push(conn);
        emit({ type: 'client:waiting', id: conn.id, servedId: served?.id ?? 0, queued: waiting.length });
        return;
      }
      if (packet[0] === TERMINATE) {
        conn.socket.end();
        return;
      }
      conn.chain = conn.chain
        .then(async () => {
          if (conn.closed) return;
          await holdSession();
          const status = await send(packet, write(conn));
          if (status === 'I') releaseSession();
        })
        .catch((error) => fail(conn, error));
    }
  };

  /**
   * The served client left: end whatever it left open (a failed pipeline, a
   * transaction), reset the session's settings, then admit the next client.
   */
  const handOver = (conn: Connection) => {
    conn.chain = conn.chain.then(async () => {
      if (!conn.started) {
        releaseSession();
        return;
      }
      let rolledBack = false;
      try {
        await holdSession();
        await send(syncMessage(), null);
        if (db.isInTransaction()) {
          await send(queryMessage('ROLLBACK'), null);
          rolledBack = true;
        }
        // SET, PREPARE, temporary tables, LISTEN of the client that left are not the next one's.
        await send(queryMessage('DISCARD ALL'), null);
      } catch (error) {
        emit({ type: 'client:error', id: conn.id, message: (error as Error).message });
      } finally {
        releaseSession();
      }
      emit({ type: 'client:disconnected', id: conn.id, rolledBack });
    });
    lastHandover = conn.chain.then(() => {
      served = null;
      const next = waiting.shift();
      if (next && !closing) admit(next);
    });
  };

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let gone: () => void = () => undefined;
    const conn: Connection = {
      id: nextId++,
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      startup: null,
      arrivedAt: Date.now(),
      chain: Promise.resolve(),
      closed: false,
      gone: new Promise((resolve) => (gone = resolve)),
    };
    all.add(conn);
    socket.on('data', (data) => {
      conn.buffer = conn.buffer.length === 0 ? data : Buffer.concat([conn.buffer, data]);
      pump(conn);
    });
    socket.on('error', () => undefined); // a reset connection is a disconnect; 'close' follows
    socket.on('close', () => {
      conn.closed = true;
      all.delete(conn);
      const queued = waiting.indexOf(conn);
      if (queued >= 0) waiting.splice(queued, 1);
      if (served === conn) handOver(conn);
      gone();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new MigrateError('CONFIG', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          hint: error.code === 'EADDRINUSE' ? 'Another program (another dev server?) uses that port: choose another one.' : 'Choose another host or port.',
          cause: error,
        }),
      ),
    );
    server.listen(options.port, options.host, () => {
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: options.host,
    port: address.port,
    async exclusive(fn) {
      const release = await session.acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
    get clientInTransaction() {
      return clientHold !== null;
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const connections = [...all];
      for (const conn of connections) conn.socket.destroy();
      // A socket's 'close' comes asynchronously and schedules its hand-over (the rollback).
      await Promise.all(connections.map((c) => c.gone));
      await lastHandover;
      await closed;
    },
  };
}

