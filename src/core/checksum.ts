// File checksums. The algorithm id is stored beside each checksum so the
// normalisation can evolve without raising false "modified" alarms.
import { createHash } from 'node:crypto';

/** Stored in the tracking tables' `checksum_algorithm` column: never change its meaning. */
export const CHECKSUM_ALGORITHM = 'sha256:lf-nobom:v1';

/** Line endings to LF and no UTF-8 BOM: CRLF checkouts and editors' BOMs are not edits. */
export function normaliseContent(content: string): string {
  const withoutBom = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  return withoutBom.replace(/\r\n?/g, '\n');
}

export function checksumOf(content: string): string {
  return createHash('sha256').update(normaliseContent(content), 'utf8').digest('hex');
}

/** Whether a stored checksum can be compared with ours (null algorithm = adopted row). */
export function isKnownAlgorithm(algorithm: string | null): boolean {
  return algorithm === CHECKSUM_ALGORITHM;
}
