// The few pieces of the PostgreSQL wire protocol (v3) the dev server needs to
// frame a client's byte stream into messages. Pure: no sockets, no database.
// https://www.postgresql.org/docs/current/protocol-message-formats.html

/** Request codes of the untyped packets a client may send before its startup message. */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** Message types (first byte) the bridge acts on itself. */
export const TERMINATE = 0x58; // 'X'
export const READY_FOR_QUERY = 0x5a; // 'Z'

/**
 * The first complete packet at the start of `buffer`: untyped before the startup
 * message (int32 length including itself, then the body), typed after it (type
 * byte, int32 length). Null while the packet is incomplete.
 */
export function nextPacket(buffer: Buffer, typed: boolean): { packet: Buffer; rest: Buffer } | null {
  const header = typed ? 5 : 4;
  if (buffer.length < header) return null;
  const length = buffer.readInt32BE(typed ? 1 : 0);
  if (length < 4 || length > 1 << 30) throw new ProtocolError(`invalid message length ${length}`);
  const total = (typed ? 1 : 0) + length;
  if (buffer.length < total) return null;
  return { packet: buffer.subarray(0, total), rest: buffer.subarray(total) };
}

/** The request code of an untyped packet (protocol version for a startup message). */
export function requestCode(packet: Buffer): number {
  return packet.length >= 8 ? packet.readInt32BE(4) : 0;
}

/** True for a startup message of protocol 3 (3.0, and later minor versions the server negotiates). */
export function isStartupMessage(code: number): boolean {
  return code >>> 16 === 3;
}

/** The key/value parameters of a startup message (user, database, application_name…). */
export function startupParameters(packet: Buffer): Record<string, string> {
  const parts = packet.subarray(8).toString('utf8').split('\0');
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params[parts[i]!] = parts[i + 1]!;
  return params;
}

/** A typed message with a body. */
export function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** A simple-protocol Query message. */
export function queryMessage(sql: string): Buffer {
  return message('Q', Buffer.from(`${sql}\0`, 'utf8'));
}

/** A Sync message: ends an extended-protocol pipeline (and an error's skip-until-Sync). */
export function syncMessage(): Buffer {
  return message('S', Buffer.alloc(0));
}

/** An ErrorResponse (severity FATAL or ERROR) with an SQLSTATE and a message. */
export function errorResponse(severity: 'FATAL' | 'ERROR', sqlstate: string, text: string, hint?: string): Buffer {
  return fieldsMessage('E', severity, sqlstate, text, hint);
}

/** A NoticeResponse, which clients print (psql) or emit (`pg`'s 'notice' event). */
export function noticeResponse(sqlstate: string, text: string): Buffer {
  return fieldsMessage('N', 'NOTICE', sqlstate, text);
}

function fieldsMessage(type: 'E' | 'N', severity: string, sqlstate: string, text: string, hint?: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${sqlstate}`, `M${text}`, ...(hint ? [`H${hint}`] : [])];
  return message(type, Buffer.from(`${fields.join('\0')}\0\0`, 'utf8'));
}

/**
 * Keeps the last six bytes a server wrote, to tell whether its response ended with
 * ReadyForQuery and in which transaction state: 'I' idle, 'T' in a transaction,
 * 'E' in a failed transaction. ReadyForQuery is always the last message of a
 * response, so the tail is enough, whatever the chunking.
 */
export class ResponseTail {
  #tail = Buffer.alloc(0);

  push(chunk: Uint8Array): void {
    this.#tail = Buffer.concat([this.#tail, chunk]).subarray(-6);
  }

  /** The transaction status of a response ending in ReadyForQuery, else null. */
  readyStatus(): 'I' | 'T' | 'E' | null {
    const t = this.#tail;
    if (t.length === 6 && t[0] === READY_FOR_QUERY && t.readInt32BE(1) === 5) {
      const status = String.fromCharCode(t[5]!);
      if (status === 'I' || status === 'T' || status === 'E') return status;
    }
    return null;
  }

  reset(): void {
    this.#tail = Buffer.alloc(0);
  }
}

/** A client broke the protocol; its connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
