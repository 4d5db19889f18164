// Schema-per-tenant: a target that names a schema runs in it. Every transaction of
// the run sets `search_path` to the tenant's schema, then `public` (where the shared
// helpers live), with SET LOCAL after the session-defaults reset, so it holds through
// a transaction pooler and never leaks to the pooler's next client. Outside a
// transaction (no-transaction files) the session's search_path is set instead, which
// holds on a direct connection only.
import type { Database, TransactionOptions } from '../db/driver.js';
import { ident } from '../tracking/sql-text.js';

/** `"tenant_42", public`: the tenant's schema first, the shared helpers after it. */
export function searchPathOf(schema: string): string {
  return `${ident(schema)}, public`;
}

/** The database seen from inside one tenant's schema (see the file's comment). */
export async function inSchema(db: Database, schema: string): Promise<Database> {
  const setLocal = `SET LOCAL search_path TO ${searchPathOf(schema)}`;
  const setSession = `SET search_path TO ${searchPathOf(schema)}`;
  // The reset a file's transaction runs before and after the file: RESET ALL would
  // drop the search_path, so it is set again right after.
  const sessionDefaultsSql = `${db.sessionDefaultsSql};\n${setLocal}`;
  await db.exec(setSession);
  return {
    ...db,
    display: db.display,
    sessionDefaultsSql,
    query: (sql, params) => db.query(sql, params),
    // Outside a transaction only (a transaction's body gets its own queryable): after
    // a no-transaction file the run resets the session, which must stay in the schema.
    exec: (script) => db.exec(script === sessionDefaultsSql ? `${db.sessionDefaultsSql};\n${setSession}` : script),
    transaction: (fn, options: TransactionOptions = {}) => db.transaction(fn, { ...options, prelude: options.prelude ? `${setLocal};\n${options.prelude}` : setLocal }),
    cancel: () => db.cancel(),
    close: () => db.close(),
  };
}
