// A counting TCP proxy in front of the PostgreSQL server: every byte is passed
// through unchanged; the client → server stream is parsed into protocol messages
// and counted. Used only for a separate counting run, never for timed runs (the
// extra hop would tax the chattiest client most).
import net from 'node:net';

/** What the clients sent through the proxy since the last `take()`. */
export interface QueryCounts {
  /** Connections opened (startup messages seen). */
  connections: number;
  /** Simple-protocol Query messages: one each, whatever number of statements the text holds. */
  simpleQueries: number;
  /** Extended-protocol Execute messages (a parameterised statement run). */
  executes: number;
  /** Queries sent: simple Query + extended Execute messages. */
  queries: number;
  /** Waits for the server (ReadyForQuery): simple Query + Sync messages. */
  roundTrips: number;
  /** Bytes from clients to the server. */
  bytesSent: number;
}

export interface CountingProxy {
  port: number;
  take(): QueryCounts;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

const zero = (): QueryCounts => ({ connections: 0, simpleQueries: 0, executes: 0, queries: 0, roundTrips: 0, bytesSent: 0 });

/** Parses the frontend stream of one connection; counts into whatever `current()` holds now. */
function frontendParser(current: () => QueryCounts): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    const counts = current();
    counts.bytesSent += chunk.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (startup) {
        // Untyped: Int32 length, Int32 code. SSL/GSS requests precede the real startup message.
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        pending = pending.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) continue;
        if (code !== CANCEL_REQUEST) counts.connections++;
        startup = false;
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0]!);
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      pending = pending.subarray(1 + length);
      if (type === 'Q') {
        counts.simpleQueries++;
        counts.queries++;
        counts.roundTrips++;
      } else if (type === 'E') {
        counts.executes++;
        counts.queries++;
      } else if (type === 'S') {
        counts.roundTrips++;
      }
    }
  };
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `host:port`. */
export async function startCountingProxy(host: string, port: number): Promise<CountingProxy> {
  let counts = zero();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    sockets.add(client).add(upstream);
    const parse = frontendParser(() => counts);
    const pipeCounted = (chunk: Buffer) => {
      // A counting error must never corrupt the stream: count what can be counted.
      try {
        parse(chunk);
      } catch {
        /* malformed frame: stop counting this chunk, still forward it */
      }
      if (!upstream.write(chunk)) client.pause();
    };
    upstream.on('drain', () => client.resume());
    client.on('data', pipeCounted);
    upstream.pipe(client);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('end', () => upstream.end());
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    port: address.port,
    take() {
      const taken = counts;
      counts = zero();
      return taken;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
