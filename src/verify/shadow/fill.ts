// Rows for the isolation probe: values for a table's required columns generated
// from their types, defaults, foreign keys and CHECK constraints (the string
// constants a CHECK names are tried when a generated value breaks it). Parents a
// NOT NULL foreign key needs are inserted first, owned by the same user. Runs as
// the superuser, inside the probe's transaction.
import { randomBytes, randomUUID } from 'node:crypto';
import { ProbeSqlError, type ProbeDb } from './probe-db.js';
import { walk } from '../ast.js';
import type { Parser } from '../parse.js';

interface Column {
  name: string;
  type: string;
  category: string;
  typeOid: number;
  required: boolean;
  maxLength: number | null;
}

interface TableShape {
  columns: Column[];
  /** Single-column foreign keys: column → parent table (regclass text) and column. */
  parents: Map<string, { table: string; column: string }>;
  /** Check constraint name → its columns and the constants it names. */
  checks: Map<string, { columns: string[]; constants: string[] }>;
}

export interface RowOwner {
  /** The owner column of the table being filled (null: the row belongs to nobody in particular). */
  column: string | null;
  userId: string;
}

export class CannotFill extends Error {}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Fills tables; reads each table's shape once. */
export class RowFiller {
  private shapes = new Map<string, TableShape>();
  private counter = 0;
  constructor(
    private readonly db: ProbeDb,
    private readonly parser: Parser,
  ) {}

  private async shape(table: string): Promise<TableShape> {
    const known = this.shapes.get(table);
    if (known) return known;
    const columns = await this.db.rows<{ name: string; type: string; category: string; oid: number; required: boolean; maxlen: number | null }>(
      `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category, a.atttypid::int AS oid,
              (a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '') AS required,
              CASE WHEN a.atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS maxlen
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    );
    const fks = await this.db.rows<{ col: string; parent: string; pcol: string }>(
      `SELECT a.attname AS col, c.confrelid::regclass::text AS parent, pa.attname AS pcol
         FROM pg_catalog.pg_constraint c
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         JOIN pg_catalog.pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
        WHERE c.conrelid = $1::regclass AND c.contype = 'f' AND array_length(c.conkey, 1) = 1`,
      [table],
    );
    const checks = await this.db.rows<{ name: string; def: string; columns: string[] | null }>(
      `SELECT c.conname AS name, pg_catalog.pg_get_constraintdef(c.oid) AS def,
              (SELECT array_agg(a.attname::text) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) AS columns
         FROM pg_catalog.pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'c'`,
      [table],
    );
    const shape: TableShape = {
      columns: columns.map((c) => ({ name: c.name, type: c.type, category: c.category, typeOid: c.oid, required: c.required, maxLength: c.maxlen })),
      parents: new Map(fks.map((f) => [f.col, { table: f.parent, column: f.pcol }])),
      checks: new Map(checks.map((c) => [c.name, { columns: c.columns ?? [], constants: this.constantsOf(c.def) }])),
    };
    this.shapes.set(table, shape);
    return shape;
  }

  /** The string and number constants of a CHECK definition, read with PostgreSQL's parser. */
  private constantsOf(def: string): string[] {
    const out: string[] = [];
    try {
      walk(this.parser.parseSync(`ALTER TABLE t ADD CONSTRAINT c ${def}`), (kind, payload) => {
        if (kind !== 'A_Const') return;
        const s = (payload.sval as { sval?: string } | undefined)?.sval;
        const i = (payload.ival as { ival?: number } | undefined)?.ival;
        if (s !== undefined) out.push(s);
        else if (i !== undefined) out.push(String(i));
      });
    } catch {
      /* not parseable: no constants to try */
    }
    return out;
  }

  private async candidates(column: Column, shape: TableShape): Promise<string[]> {
    const n = ++this.counter;
    const fromChecks = [...shape.checks.values()].filter((c) => c.columns.includes(column.name)).flatMap((c) => c.constants);
    const fit = (s: string) => (column.maxLength !== null ? s.slice(0, column.maxLength) : s);
    switch (column.category) {
      case 'S':
        return [hex(32), `probe${n}${hex(4)}`, ...fromChecks].map(fit);
      case 'N':
        return [String(n), '1', ...fromChecks];
      case 'B':
        return ['false', 'true'];
      case 'D':
        return [new Date(Date.now() + 86_400_000).toISOString(), new Date().toISOString()];
      case 'T':
        return ['1 day'];
      case 'I':
        return ['203.0.113.7'];
      case 'A':
        return ['{}'];
      case 'E':
        return (await this.db.rows<{ l: string }>('SELECT enumlabel AS l FROM pg_catalog.pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder', [column.typeOid])).map((r) => r.l);
      case 'U':
        if (column.type === 'uuid') return [randomUUID()];
        if (column.type === 'json' || column.type === 'jsonb') return ['{}'];
        return [];
      default:
        return [];
    }
  }

  /**
   * The values of a new row of `table` owned by `owner` (parents inserted as
   * needed), without inserting it. Throws CannotFill with the reason.
   */
  async values(table: string, owner: RowOwner, depth = 0): Promise<Map<string, string[]>> {
    if (depth > 3) throw new CannotFill(`foreign keys nest deeper than 3 tables from ${table}`);
    const shape = await this.shape(table);
    const values = new Map<string, string[]>();
    for (const column of shape.columns) {
      if (column.name === owner.column) {
        values.set(column.name, [owner.userId]);
        continue;
      }
      if (!column.required) continue;
      const parent = shape.parents.get(column.name);
      if (parent) {
        const parentOwner = (await this.shape(parent.table)).columns.some((c) => c.name === owner.column) ? owner : { column: null, userId: owner.userId };
        values.set(column.name, [await this.insert(parent.table, parentOwner, parent.column, depth + 1)]);
        continue;
      }
      const candidates = await this.candidates(column, shape);
      if (candidates.length === 0) throw new CannotFill(`no value can be generated for ${column.name} (${column.type})`);
      values.set(column.name, candidates);
    }
    // A parent owned by the user: its owner column may also be a foreign key to "user" (set above).
    return values;
  }

  /**
   * Inserts a row (as the current role) and returns `returning` of it. A CHECK
   * violation moves the columns it names to their next candidate; other errors
   * are the reason the table cannot be filled.
   */
  async insert(table: string, owner: RowOwner, returning: string, depth = 0): Promise<string> {
    const values = await this.values(table, owner, depth);
    return (await this.insertValues(table, values, returning, true)).returned;
  }

  /**
   * Values for one row of `table` owned by `owner` that the superuser can insert
   * (tried, then rolled back): what a role's INSERT attempt sends, so that only
   * the policies and grants can refuse it. Parents stay inserted.
   */
  async workingRow(table: string, owner: RowOwner, returning: string): Promise<Map<string, string>> {
    return (await this.insertValues(table, await this.values(table, owner), returning, false)).chosen;
  }

  /** The INSERT of `row` into `table`, with parameters. */
  async insertSql(table: string, row: Map<string, string>): Promise<{ sql: string; params: string[] }> {
    const types = new Map((await this.shape(table)).columns.map((c) => [c.name, c.type]));
    const columns = [...row.keys()];
    return {
      sql: `INSERT INTO ${table} (${columns.map(quote).join(', ')}) VALUES (${columns.map((c, i) => `$${i + 1}::${types.get(c)}`).join(', ')})`,
      params: columns.map((c) => row.get(c)!),
    };
  }

  private async insertValues(table: string, values: Map<string, string[]>, returning: string, keep: boolean): Promise<{ returned: string; chosen: Map<string, string> }> {
    const shape = await this.shape(table);
    const pick = new Map([...values.keys()].map((k) => [k, 0]));
    for (let attempt = 0; attempt < 16; attempt++) {
      const columns = [...values.keys()];
      const types = new Map(shape.columns.map((c) => [c.name, c.type]));
      const sql =
        columns.length === 0
          ? `INSERT INTO ${table} DEFAULT VALUES RETURNING ${quote(returning)}::text AS v`
          : `INSERT INTO ${table} (${columns.map(quote).join(', ')}) VALUES (${columns.map((c, i) => `$${i + 1}::${types.get(c)}`).join(', ')}) RETURNING ${quote(returning)}::text AS v`;
      await this.db.exec('SAVEPOINT probe_fill');
      try {
        const rows = await this.db.rows<{ v: string }>(sql, columns.map((c) => values.get(c)![pick.get(c)!]));
        await this.db.exec(keep ? 'RELEASE SAVEPOINT probe_fill' : 'ROLLBACK TO SAVEPOINT probe_fill');
        return { returned: rows[0]!.v, chosen: new Map(columns.map((c) => [c, values.get(c)![pick.get(c)!]!])) };
      } catch (error) {
        await this.db.exec('ROLLBACK TO SAVEPOINT probe_fill');
        if (!(error instanceof ProbeSqlError)) throw error;
        const check = error.sqlstate === '23514' && error.constraint ? shape.checks.get(error.constraint) : undefined;
        const movable = check?.columns.filter((c) => (pick.get(c) ?? 0) + 1 < (values.get(c)?.length ?? 0)) ?? [];
        if (movable.length === 0) throw new CannotFill(`inserting a row fails: ${error.message}`);
        for (const c of movable) pick.set(c, pick.get(c)! + 1);
      }
    }
    throw new CannotFill('no combination of generated values satisfies its CHECK constraints');
  }
}

/** A column name as an identifier. */
export function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
