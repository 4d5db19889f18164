// The probe's view of the shadow: one open PGlite transaction, rows and affected
// counts, and errors reduced to what the probe reads (SQLSTATE, constraint).
import type { Transaction } from '@electric-sql/pglite';

/** A statement the shadow refused. */
export class ProbeSqlError extends Error {
  override readonly name = 'ProbeSqlError';
  constructor(
    message: string,
    readonly sqlstate: string | null,
    readonly constraint: string | null,
  ) {
    super(message);
  }
}

export interface ProbeDb {
  rows<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Rows affected by an INSERT, UPDATE or DELETE. */
  run(sql: string, params?: unknown[]): Promise<number>;
  exec(sql: string): Promise<void>;
}

function convert(error: unknown): never {
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown };
  if (typeof e?.code === 'string') throw new ProbeSqlError(String(e.message), e.code, typeof e.constraint === 'string' ? e.constraint : null);
  throw error;
}

export function probeDb(tx: Transaction): ProbeDb {
  return {
    rows: async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params).catch(convert)).rows,
    run: async (sql, params) => (await tx.query(sql, params).catch(convert)).affectedRows ?? 0,
    exec: async (sql) => void (await tx.exec(sql).catch(convert)),
  };
}
