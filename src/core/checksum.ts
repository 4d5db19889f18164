// File checksums. The algorithm id is stored beside each checksum so the
// normalisation can evolve without raising false "modified" alarms.
import { hash } from 'node:crypto';

/** Stored in the tracking tables' `checksum_algorithm` column: never change its meaning. */
export const CHECKSUM_ALGORITHM = 'sha256:lf-nobom:v1';

const CR = 13;
const LF = 10;

/**
 * The bytes that are hashed: no UTF-8 BOM, CRLF and lone CR turned into LF. Works on
 * bytes, not decoded text, so a file's checksum never depends on how it decodes.
 */
export function normaliseBytes(bytes: Uint8Array): Uint8Array {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (bytes.indexOf(CR, start) === -1) return start === 0 ? bytes : bytes.subarray(start);
  const out = new Uint8Array(bytes.length - start);
  let n = 0;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === CR) {
      out[n++] = LF;
      if (bytes[i + 1] === LF) i++;
    } else {
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/** SHA-256 (hex) of a file's bytes after normalisation: CRLF checkouts and BOMs are not edits. */
export function checksumOfBytes(bytes: Uint8Array): string {
  return hash('sha256', normaliseBytes(bytes), 'hex');
}

export function checksumOf(content: string): string {
  return checksumOfBytes(Buffer.from(content, 'utf8'));
}

/** Whether a stored checksum can be compared with ours (null algorithm = adopted row). */
export function isKnownAlgorithm(algorithm: string | null): boolean {
  return algorithm === CHECKSUM_ALGORITHM;
}

/**
 * Stored in the tracking tables' `token_checksum_algorithm` column: never change its
 * meaning. SHA-256 of the PostgreSQL scanner's tokens (libpg_query), in order, each
 * as written, without comments and whitespace except `-- migrate:` / `-- verify:`
 * directives (see src/sql/token-checksum.ts).
 */
export const TOKEN_CHECKSUM_ALGORITHM = 'sha256:pg-scan-tokens:v1';

/** The token checksum of a file's tokens, as TOKEN_CHECKSUM_ALGORITHM defines it. */
export function checksumOfTokens(tokens: readonly string[]): string {
  // NUL cannot occur in a token of a file PostgreSQL accepts: an unambiguous separator.
  return hash('sha256', tokens.join('\u0000'), 'hex');
}

/** Whether a stored token checksum can be compared with ours (null: the row has none). */
export function isKnownTokenAlgorithm(algorithm: string | null | undefined): boolean {
  return algorithm === TOKEN_CHECKSUM_ALGORITHM;
}
