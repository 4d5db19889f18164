// The databases of a fleet: a targets file (`--targets FILE`, `-` for stdin), or
// the rows of a query on the control database (`--targets-query`). Pure: text or
// rows in, targets out; errors name the file and line. Never echoes a password:
// every message shows the URL redacted.
import { MigrateError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

/** One database of a fleet, as listed. */
export interface FleetTarget {
  /** The name in the summary and the JSON: the label given, else the redacted URL. */
  label: string;
  /** The connection URL, without its `schema` parameter (may hold a password: never print it). */
  url: string;
  /** Schema-per-tenant: the tenant's schema (`?schema=` of the URL, or the query's `schema` column); null: the database is the tenant. */
  schema: string | null;
  /** Where it was listed: `targets.txt:12`, `--targets-query row 3`. */
  origin: string;
  /** Its line in a targets file; null for a query's row. */
  line: number | null;
}

/**
 * Parses a targets file: one target per line, `[label] URL`; `#` starts a comment
 * line, blank lines are skipped. Duplicate labels (or the same URL twice) are refused.
 */
export function parseTargetsText(text: string, file: string): FleetTarget[] {
  const targets: FleetTarget[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = { file, line: index + 1, column: raw.indexOf(line[0]!) + 1 };
    const words = line.split(/\s+/);
    if (words.length > 2) {
      throw new MigrateError('USAGE', `${file}:${where.line}: expected "[label] URL", found ${words.length} words`, {
        ...where,
        hint: 'One target per line: an optional label without spaces, then the URL (postgres://…).',
      });
    }
    const [label, url] = words.length === 2 ? [words[0]!, words[1]!] : [null, words[0]!];
    targets.push({ ...checkedTarget(label, url, `${file}:${where.line}`, where), line: where.line });
  });
  refuseDuplicates(targets, file);
  return targets;
}

/** Targets from the rows of `--targets-query`: a `url` column, optional `label` and `schema`. */
export function targetsOfRows(rows: readonly Record<string, unknown>[], origin = '--targets-query'): FleetTarget[] {
  if (rows.length > 0 && !('url' in rows[0]!)) {
    throw new MigrateError('USAGE', `${origin} returned no "url" column (columns: ${Object.keys(rows[0]!).join(', ')})`, {
      hint: 'Select the connection URL AS url, and optionally a name AS label: SELECT label, url FROM tenants.',
    });
  }
  const targets = rows.map((row, i) => {
    const url = row.url;
    const label = row.label === undefined || row.label === null ? null : String(row.label);
    if (typeof url !== 'string' || url === '') throw new MigrateError('USAGE', `${origin} row ${i + 1}: url is ${url === null ? 'NULL' : 'not text'}`, { hint: 'Every row needs a connection URL.' });
    const schema = row.schema === undefined || row.schema === null ? null : String(row.schema);
    return { ...checkedTarget(label, url, `${origin} row ${i + 1}`, {}, schema), line: null };
  });
  refuseDuplicates(targets, origin);
  return targets;
}

function checkedTarget(label: string | null, url: string, origin: string, where: { file?: string; line?: number; column?: number }, schemaColumn: string | null = null): Omit<FleetTarget, 'line'> {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new MigrateError('USAGE', `${origin}: not a PostgreSQL URL: ${redactUrl(url)}`, { ...where, hint: 'Write postgres://user:password@host:5432/database, optionally after a label.' });
  }
  const split = withoutSchemaParameter(url);
  const schema = schemaColumn ?? split.schema;
  if (schema === '') throw new MigrateError('USAGE', `${origin}: the schema is empty`, { ...where, hint: 'Write ?schema=tenant_42, or leave the parameter out.' });
  const display = redactUrl(url) + (schemaColumn !== null ? ` (schema ${schemaColumn})` : '');
  return { label: label ?? display, url: split.url, schema, origin };
}

/**
 * The URL without its `schema` parameter (which is ours, not the server's: it is
 * never sent), and that schema, or null.
 */
function withoutSchemaParameter(url: string): { url: string; schema: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, schema: null }; // not a WHATWG URL: the connection code reports what is wrong with it
  }
  const schema = parsed.searchParams.get('schema');
  if (schema === null) return { url, schema: null };
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

function refuseDuplicates(targets: readonly FleetTarget[], where: string): void {
  const seen = new Map<string, FleetTarget>();
  for (const target of targets) {
    const first = seen.get(target.label);
    if (first) {
      throw new MigrateError('USAGE', `${target.origin}: target "${target.label}" is listed twice (first at ${first.origin})`, {
        ...(target.line !== null ? { file: where, line: target.line } : {}),
        hint: 'Give every target a label of its own, and list each database once.',
      });
    }
    seen.set(target.label, target);
  }
}
