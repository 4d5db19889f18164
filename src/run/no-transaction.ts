// Executing a `-- migrate:no-transaction` file: its statements one by one, outside
// any transaction, for CREATE INDEX CONCURRENTLY, VACUUM and the like.
//
// Exactly once without a transaction around the file: a claim row in the tracking
// schema (src/tracking/claims.ts) says which runner applies the file. It is taken
// in a short transaction under the exclusive migration lock, right after the
// file's tracking row was re-read there; the statements then run with no
// transaction open on this runner; the tracking row is inserted and the claim
// deleted in one more short transaction under the lock. Runners that find the file
// claimed wait by polling in short transactions, never a long one: a concurrent
// index build waits for every transaction open on the server, a waiting runner's
// too, and would wait forever for one that waits for it. A claim whose heartbeat
// (sent from a second connection, the first being busy in the statement) stops is
// a runner that is gone (SIGKILL, a lost machine): another runner takes it over.
// No session advisory lock is used: they do not survive a transaction pooler.
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/driver.js';
import type { PlannedMigration } from '../core/plan.js';
import { DatabaseError, MigrateError, MigrationFailedError, type PostgresErrorFields } from '../core/errors.js';
import { charPositionToIndex, lineColumnAtIndex, SourceText } from '../core/position.js';
import { stripBom } from '../core/text.js';
import { recordAppliedSql, recordedCheckSql } from '../tracking/store.js';
import { beatClaim, releaseClaimSql, tryClaim } from '../tracking/claims.js';
import { firstTokenIndex, loadParser, splitStatementsSync, SqlSyntaxError, type StatementParser, type StatementSpan } from '../sql/statements.js';
import { as } from '../verify/ast.js';
import type { EventSink } from './events.js';
import type { Outcomes } from './result.js';
import { pauseUnlessAborted } from './lock-retry.js';

/** How often a runner applying a no-transaction file says it is alive. */
const HEARTBEAT_MS = 2_000;
/** A claim silent this long belongs to a runner that is gone; another runner takes it over. */
const CLAIM_EXPIRY_MS = 30_000;
/** Bounds of a waiting runner's pause between two looks at a claimed file (jittered). */
const POLL_MS = { min: 150, max: 600 };

export type OutsideStep = 'applied' | 'done-elsewhere' | 'aborted' | MigrationFailedError;

/**
 * Applies one pending no-transaction file, or waits while another runner does.
 * 'done-elsewhere': its tracking row appeared meanwhile.
 */
export async function applyOutsideTransaction(
  db: Database,
  schema: string,
  item: PlannedMigration,
  emit: EventSink,
  outcomes: Outcomes,
  signal: AbortSignal | undefined,
): Promise<OutsideStep> {
  const file = item.file;
  const text = stripBom(file.content);
  const parser = await loadParser();
  let spans: StatementSpan[];
  try {
    spans = splitStatementsSync(parser, text);
  } catch (error) {
    // The pre-run file checks refuse such a file; this is the same refusal, should one slip through.
    if (!(error instanceof SqlSyntaxError)) throw error;
    const at = lineColumnAtIndex(text, error.index);
    throw new MigrateError('VALIDATION', `${file.path}:${at.line}:${at.column}: a -- migrate:no-transaction file must parse: ${error.message}`, { file: file.path, line: at.line, column: at.column });
  }
  const runner = randomUUID();
  const notes: string[] = [];
  const note = (kind: 'invalid-index-dropped' | 'claim-taken-over', message: string) => {
    notes.push(message);
    emit({ type: 'file:note', item, kind, message });
  };

  // 1. The claim, or a wait for the runner that holds it.
  let pause = POLL_MS.min;
  for (;;) {
    if (signal?.aborted) return 'aborted';
    const attempt = await db.transaction(
      async (tx, recorded) => (recorded.length > 0 ? 'recorded' : tryClaim(tx, schema, file, runner, db.soleRunner ? null : CLAIM_EXPIRY_MS)),
      { lock: 'exclusive', prelude: recordedCheckSql(schema, file) },
    );
    if (attempt === 'recorded') return 'done-elsewhere';
    if (attempt.kind === 'claimed') break;
    if (attempt.kind === 'taken-over') {
      note('claim-taken-over', `took over the claim of a runner silent for ${(attempt.silentMs / 1000).toFixed(1)} s (gone, or its process killed); the file runs again from its first statement`);
      break;
    }
    // No transaction is open here: the holder's concurrent index build does not wait for us.
    if (!(await pauseUnlessAborted(pause * (0.75 + Math.random() / 2), signal))) return 'aborted';
    pause = Math.min(POLL_MS.max, pause * 1.5);
  }

  emit({ type: 'file:start', item });
  const started = performance.now();
  const heartbeat = await startHeartbeat(db, schema, item, runner);
  let done = 0;
  try {
    // 2. The statements, each sent alone and awaited: several in one message (or
    // pipelined) would run as one implicit transaction, exactly what must not happen.
    for (const span of spans) {
      if (signal?.aborted || heartbeat.lost()) break;
      const statement = text.slice(span.start, span.end);
      try {
        const dropped = await dropInvalidIndex(db, span);
        if (dropped) note('invalid-index-dropped', `dropped INVALID index ${dropped} (left by a concurrent build that failed) with DROP INDEX CONCURRENTLY, to build it again`);
        await db.exec(statement);
      } catch (error) {
        if (!(error instanceof DatabaseError)) throw error;
        return failed(parser, item, text, spans, done, span, error.pg, error, performance.now() - started, emit, outcomes, notes);
      }
      done++;
      await heartbeat.between();
    }
    if (done < spans.length) {
      // Stopped between two statements: by the signal, or because the claim was taken over.
      const pg = syntheticPg(
        signal?.aborted
          ? `stopped before statement ${done + 1} of ${spans.length}`
          : "the claim on this file was taken over by another runner (this runner's heartbeat stopped for too long)",
      );
      return failed(parser, item, text, spans, done, spans[done]!, pg, null, performance.now() - started, emit, outcomes, notes);
    }
  } finally {
    await heartbeat.stop();
    // A SET in the file stays with the session (it is outside any transaction): undo it
    // for the next file. Behind a transaction pooler the SET was gone already.
    await db.exec(db.sessionDefaultsSql).catch(() => undefined);
    if (done < spans.length) await db.exec(releaseClaimSql(schema, file, runner)).catch(() => undefined);
  }

  // 3. The tracking row and the end of the claim, together, under the lock.
  const durationMs = performance.now() - started;
  const finish = await db.transaction(
    async (tx, recorded) => {
      // Recorded meanwhile: a runner that took our claim over finished first (its run was a re-run).
      if (recorded.length > 0) {
        await tx.execAndCommit(releaseClaimSql(schema, file, runner));
        return 'done-elsewhere' as const;
      }
      await tx.execAndCommit(`${recordAppliedSql(schema, file, item.tokenChecksum, durationMs)};\n${releaseClaimSql(schema, file, runner)}`);
      return 'applied' as const;
    },
    { lock: 'exclusive', prelude: recordedCheckSql(schema, file) },
  );
  if (finish === 'done-elsewhere') return finish;
  outcomes.set(item, { status: 'applied', durationMs, ...(notes.length ? { notes } : {}) });
  emit({ type: 'file:done', item, durationMs });
  return 'applied';
}

interface Heartbeat {
  /** True once an update found the claim no longer ours. */
  lost(): boolean;
  /** A beat on the main connection between statements, where there is no second one. */
  between(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps the claim alive while the statements run: from a second connection every
 * HEARTBEAT_MS. Without one (a caller's client whose parameters are unknown), only
 * between statements: a statement longer than CLAIM_EXPIRY_MS then lets another
 * runner take over. The sole runner of an embedded database needs none.
 */
async function startHeartbeat(db: Database, schema: string, item: PlannedMigration, runner: string): Promise<Heartbeat> {
  let lost = false;
  if (db.soleRunner) return { lost: () => false, between: async () => {}, stop: async () => {} };
  const sibling = db.openSibling ? await db.openSibling().catch(() => null) : null;
  if (!sibling) {
    return {
      lost: () => lost,
      between: async () => {
        lost ||= !(await beatClaim(db, schema, item.file, runner).catch(() => true));
      },
      stop: async () => {},
    };
  }
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(async () => {
      // A failed beat (a blip of the second connection) is not a lost claim: the next one may pass.
      lost ||= !(await beatClaim(sibling, schema, item.file, runner).catch(() => true));
    });
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    lost: () => lost,
    between: async () => {},
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      await sibling.close();
    },
  };
}

/**
 * Before a CREATE [UNIQUE] INDEX CONCURRENTLY of the file: the index it names, when
 * it exists and is INVALID (pg_index.indisvalid false: a build of it failed on an
 * earlier run), is dropped with DROP INDEX CONCURRENTLY, so the statement builds it
 * again rather than skip it (IF NOT EXISTS) or fail on it. Safe: the file is claimed
 * by this runner, so no build of ours is in progress, and an invalid index serves
 * no query. Returns the dropped index's name, or null.
 */
async function dropInvalidIndex(db: Database, span: StatementSpan): Promise<string | null> {
  const index = as(span.node, 'IndexStmt');
  if (!index?.concurrent || !index.idxname || !index.relation?.relname) return null;
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const table = `${index.relation.schemaname ? `${quote(index.relation.schemaname)}.` : ''}${quote(index.relation.relname)}`;
  const rows = await db.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = pg_catalog.to_regclass($1) AND c.relname = $2 AND NOT i.indisvalid
        AND c.relnamespace = (SELECT t.relnamespace FROM pg_catalog.pg_class t WHERE t.oid = pg_catalog.to_regclass($1))`,
    [table, index.idxname],
  );
  const name = rows[0]?.name;
  if (!name) return null;
  await db.exec(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  return name;
}

/** PostgreSQL-shaped fields for a failure the server did not report. */
function syntheticPg(message: string): PostgresErrorFields {
  return { message, sqlstate: null, detail: null, hint: null, position: null, where: null, internalPosition: null, internalQuery: null };
}

/** The failure of the statement `failing` (after `done` statements succeeded), reported and recorded in `outcomes`. */
function failed(
  parser: StatementParser,
  item: PlannedMigration,
  text: string,
  spans: readonly StatementSpan[],
  done: number,
  failing: StatementSpan,
  pg: PostgresErrorFields,
  cause: unknown,
  durationMs: number,
  emit: EventSink,
  outcomes: Outcomes,
  notes: string[],
): MigrationFailedError {
  const source = new SourceText(text);
  const start = firstTokenIndex(parser, text, failing);
  // The server's position counts characters in the statement we sent.
  const index = pg.position !== null ? failing.start + charPositionToIndex(text.slice(failing.start, failing.end), pg.position) : start;
  const at = source.lineColumnOfIndex(index);
  const ran = spans.slice(0, done);
  const firstLine = ran.length > 0 ? source.lineOf(firstTokenIndex(parser, text, ran[0]!)) : 0;
  const lastLine = ran.length > 0 ? source.lineOf(Math.max(ran.at(-1)!.start, ran.at(-1)!.end - 1)) : 0;
  const kept =
    done === 0
      ? 'No earlier statement of this no-transaction file ran.'
      : `Statement${done === 1 ? '' : 's'} 1${done === 1 ? '' : `–${done}`} of ${spans.length} (lines ${firstLine}–${lastLine}) ran and stay applied: a no-transaction file is not rolled back.`;
  const index_ = as(failing.node, 'IndexStmt');
  const invalid = index_?.concurrent ? ' A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: the next run drops it (DROP INDEX CONCURRENTLY) and builds it again.' : '';
  const failure = new MigrationFailedError({
    file: item.file.path,
    line: at.line,
    column: at.column,
    sourceLine: at.text,
    pg,
    recorded: false,
    rolledBack: false,
    hint: `${kept} The file is not recorded: the next run re-runs it from its first statement, so every statement must be re-runnable (IF NOT EXISTS / IF EXISTS).${invalid}`,
    cause,
  });
  outcomes.set(item, { status: 'failed', durationMs, ...(notes.length ? { notes } : {}) });
  emit({ type: 'file:error', item, error: failure, durationMs });
  return failure;
}
