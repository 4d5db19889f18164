// Turns the error objects of pg and PGlite (same field names, both follow
// libpq) into our DatabaseError, without decorating the foreign object.
import { DatabaseError, type PostgresErrorFields } from '../core/errors.js';

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseInt(v, 10) : Number.NaN;
  return Number.isFinite(n) ? n : null;
};

/** True when `error` came from the server (it carries an SQLSTATE). */
export function isServerError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Our DatabaseError for a server error; `completedStatements`: see DatabaseError. */
export function toDatabaseError(error: unknown, scrubText: (s: string) => string, completedStatements: number | null = null): DatabaseError {
  const e = error as Record<string, unknown>;
  const fields: PostgresErrorFields = {
    message: scrubText(String(e.message ?? error)),
    sqlstate: str(e.code),
    detail: str(e.detail) && scrubText(str(e.detail)!),
    hint: str(e.hint),
    position: num(e.position),
    where: str(e.where),
    internalPosition: num(e.internalPosition),
    internalQuery: str(e.internalQuery),
  };
  return new DatabaseError(fields, error, completedStatements);
}
