// How the tool's own statements name its tables and carry values: quoted identifiers,
// schema-qualified table names, literals for simple-protocol scripts (no parameters).

/** An identifier, quoted. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * How every statement here names a tracking table: qualified by `schema`, or, before
 * the run knows it (its first read), as the session's search_path finds it.
 */
export function tableRef(schema: string | null, table: string): string {
  return schema === null ? ident(table) : `${ident(schema)}.${ident(table)}`;
}

/**
 * A string literal that means the same under any `standard_conforming_strings`
 * setting (E'' syntax). Used where values must travel inside a simple-protocol
 * script, which takes no parameters.
 */
export function sqlLiteral(value: string | null): string {
  return value === null ? 'NULL' : `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
