// The hint a senior engineer would give for the errors people meet running
// migrations, computed from the corpus (the setup's files in run order, read with
// the real parser): a relation or function that does not exist yet (which file of
// which tier creates it, and whether that file runs later), an object that already
// exists (the re-runnable form of the failing statement), a role that may not
// change the schema. Only on failure, so parsing every file costs nothing that
// matters. Pure: the parser is handed in.
import type { PostgresErrorFields } from '../core/errors.js';
import type { MigrationFile } from '../core/types.js';
import { parseMigration, type ParsedFile, type Parser, type Statement } from '../verify/parse.js';
import { as, display, keyOf, qualified, strings, type QualifiedName } from '../verify/ast.js';
import { createdRelations } from '../verify/rules/created.js';
import { idempotentRule } from '../verify/rules/idempotent.js';
import { buildCorpus } from '../verify/corpus.js';

export interface FailureContext {
  /** What PostgreSQL said. */
  pg: PostgresErrorFields;
  /** The failing file. */
  file: MigrationFile;
  /** 0-based index of its failing top-level statement, when known. */
  statement: number | null;
  /** Every file of the setup in the engine's run order (the failing one among them). */
  files: readonly MigrationFile[];
}

/** SQLSTATEs of "already exists": duplicate_table, duplicate_object, duplicate_column, duplicate_function, duplicate_schema. */
const DUPLICATE = new Set(['42P07', '42710', '42701', '42723', '42P06']);

/** The hint for `failure`, or null when there is nothing to add to PostgreSQL's own words. */
export function failureHint(parser: Parser, failure: FailureContext): string | null {
  const hint = hintFor(parser, failure);
  return hint && hint[0]!.toUpperCase() + hint.slice(1);
}

function hintFor(parser: Parser, failure: FailureContext): string | null {
  const { sqlstate, message } = failure.pg;
  if (sqlstate === '42P01') {
    const name = quotedName(/^relation "(.+)" does not exist/.exec(message)?.[1]);
    return name ? missingHint(parser, failure, 'relation', name, relationsCreated) : null;
  }
  if (sqlstate === '42883') {
    const match = /^function (.+?)\((.*)\) does not exist/.exec(message);
    const name = quotedName(match?.[1]);
    return name ? missingHint(parser, failure, 'function', name, functionsCreated, `${match![1]}(${match![2]})`) : null;
  }
  if (sqlstate !== null && DUPLICATE.has(sqlstate)) return duplicateHint(parser, failure);
  if (sqlstate === '42501') {
    return (
      'The role this run connects as may not do this: migrations create, alter and own the schema, which needs the role that owns it ' +
      '(postgres on Supabase, the database owner elsewhere). Set MIGRATE_DATABASE_URL to a URL of that role: migrations use it before ' +
      'DIRECT_URL and DATABASE_URL, so the app keeps its own role in DATABASE_URL.'
    );
  }
  return null;
}

/** `public.tasks` / `"Tasks"` as PostgreSQL prints a name in a message → the name as stored. */
function quotedName(printed: string | undefined): QualifiedName | null {
  if (!printed) return null;
  const parts: string[] = [];
  let i = 0;
  while (i < printed.length) {
    if (printed[i] === '"') {
      let part = '';
      i++;
      while (i < printed.length && !(printed[i] === '"' && printed[i + 1] !== '"')) {
        part += printed[i];
        i += printed[i] === '"' ? 2 : 1;
      }
      parts.push(part);
      i += 2; // the closing quote and the dot
    } else {
      const dot = printed.indexOf('.', i);
      const end = dot < 0 ? printed.length : dot;
      parts.push(printed.slice(i, end));
      i = end + 1;
    }
  }
  return qualified(parts);
}

type Creations = (file: ParsedFile) => { key: string; stmt: Statement }[];

const relationsCreated: Creations = (file) => createdRelations(file).map((c) => ({ key: keyOf(c.name), stmt: c.stmt }));

const functionsCreated: Creations = (file) =>
  file.statements.flatMap((stmt) => {
    const name = qualified(strings(as(stmt.node, 'CreateFunctionStmt')?.funcname));
    return name ? [{ key: keyOf(name), stmt }] : [];
  });

/** `the plugin ai migration contents/plugins/ai/migrations/001_x.sql`, `the core migration migrations/001_x.sql`. */
function describeFile(file: MigrationFile): string {
  const { tier, sourceName, entity } = file.source;
  const owner = tier === 'core' ? 'core' : tier === 'entity' ? `entity ${entity}` : `${tier} ${sourceName}`;
  return `the ${owner} migration ${file.path}`;
}

/** Which file creates the missing relation or function, and what that means for this file. */
function missingHint(parser: Parser, failure: FailureContext, what: 'relation' | 'function', name: QualifiedName, created: Creations, shown = display(name)): string | null {
  const key = keyOf(name);
  const files = failure.files;
  const here = files.findIndex((f) => f.path === failure.file.path);
  const creators: { index: number; stmt: Statement }[] = [];
  files.forEach((file, index) => {
    const found = created(parseMigration(parser, file)).find((c) => c.key === key);
    if (found) creators.push({ index, stmt: found.stmt });
  });
  const verb = what === 'relation' ? 'creates' : 'defines';
  if (here < 0) {
    // The failing file is not in the given order: say who makes it, claim nothing about order.
    const first = creators[0];
    return first ? `${describeFile(files[first.index]!)} ${verb} ${shown} (line ${first.stmt.position.line}).` : null;
  }
  const order = 'the order is core → theme → plugins → entities → sample data';
  const inThisFile = creators.find((c) => c.index === here);
  if (inThisFile && failure.statement !== null && inThisFile.stmt.top > failure.statement) {
    return `${shown} is ${verb === 'creates' ? 'created' : 'defined'} further down in this file (line ${inThisFile.stmt.position.line}): move that statement above the one that uses it.`;
  }
  const later = creators.find((c) => c.index > here);
  if (later && !creators.some((c) => c.index <= here)) {
    return (
      `${describeFile(files[later.index]!)} ${verb} ${shown} (line ${later.stmt.position.line}), but it runs after this file ` +
      `(file ${later.index + 1} of ${files.length} in the run order; this is file ${here + 1}; ${order}). ` +
      `Move the statement into that file or one that runs after it, or ${verb === 'creates' ? 'create' : 'define'} ${shown} in a file that runs before this one.`
    );
  }
  const earlier = creators.find((c) => c.index < here) ?? inThisFile;
  if (earlier) {
    const file = files[earlier.index]!;
    const applied =
      earlier.index === here
        ? `this file ${verb} ${shown} (line ${earlier.stmt.position.line})`
        : `${describeFile(file)} ${verb} ${shown} (line ${earlier.stmt.position.line}) and runs before this file`;
    return what === 'function'
      ? `${applied}: on this database it is missing, or has other argument types (PostgreSQL matches a function by name and argument types). Check that the file is applied (status) and that the call matches its signature.`
      : `${applied}: on this database it is gone (dropped or renamed since, or by hand), or this statement names it otherwise (a quoted name is case-sensitive). Check the name, and that the file is applied (status).`;
  }
  return (
    `No migration of this setup ${verb} ${shown}: check the name (a quoted name is case-sensitive), or ${verb === 'creates' ? 'create' : 'define'} it in a migration that runs before this file (${order}). ` +
    'The files of plugins the theme does not enable do not run.'
  );
}

/** The re-runnable form of the failing statement (the idempotent rule's fix for it), or the general advice. */
function duplicateHint(parser: Parser, failure: FailureContext): string {
  const general = 'Make the statement re-runnable: CREATE … IF NOT EXISTS, CREATE OR REPLACE, DROP POLICY / DROP TRIGGER IF EXISTS right before CREATE, ADD COLUMN IF NOT EXISTS, or a DO block that catches duplicate_object.';
  if (failure.statement === null) return general;
  const parsed = parseMigration(parser, failure.file);
  const setup = { label: '', files: [parsed], corpus: buildCorpus([parsed]) };
  const fix = idempotentRule(parsed, setup).find((f) => f.statement === failure.statement)?.fix;
  if (fix) return `${fix} The object already exists (an earlier file, an earlier run or a change by hand made it), so the statement must do nothing when it does.`;
  const top = parsed.statements.find((s) => s.top === failure.statement && s.inDo === null);
  const addsConstraint = as(top?.node, 'AlterTableStmt')?.cmds?.some((c) => as(c, 'AlterTableCmd')?.subtype === 'AT_AddConstraint');
  if (addsConstraint) {
    return 'ADD CONSTRAINT has no IF NOT EXISTS form: guard it, DO $$ BEGIN ALTER TABLE … ADD CONSTRAINT …; EXCEPTION WHEN duplicate_object THEN NULL; END $$; (duplicate_table for a UNIQUE or PRIMARY KEY constraint, whose index already exists).';
  }
  return general;
}
