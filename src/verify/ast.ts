// Small readers over libpg_query parse trees (JSON, one key per node: `{ CreateStmt: {...} }`).
// Pure. Names are compared as PostgreSQL stores them: the parser has already
// folded unquoted identifiers to lower case and kept quoted ones as written.
import type { Node, RangeVar, TypeName } from 'libpg-query';

/** Every node type name (`'CreateStmt'`, `'A_Const'`, …). */
export type NodeKind = Node extends infer U ? (U extends Record<infer K, unknown> ? K & string : never) : never;
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];

/** The node's payload when it is of `kind`, else undefined. */
export function as<K extends NodeKind>(node: Node | null | undefined, kind: K): NodeOf<K> | undefined {
  if (!node || !(kind in node)) return undefined;
  return (node as unknown as Record<K, NodeOf<K>>)[kind];
}

/** The node's type name. */
export function kindOf(node: Node): string {
  for (const key in node) return key;
  return '';
}

/** The `sval`s of a list of `String` nodes (qualified names, column lists). */
export function strings(nodes: readonly Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of nodes ?? []) {
    const s = as(n, 'String');
    if (s?.sval !== undefined) out.push(s.sval);
  }
  return out;
}

/** A schema-qualified name; unqualified names are taken to live in `public`. */
export interface QualifiedName {
  schema: string;
  name: string;
}

export function relationName(rv: RangeVar | undefined): QualifiedName | null {
  if (!rv?.relname) return null;
  return { schema: rv.schemaname ?? 'public', name: rv.relname };
}

/** `[schema?, name]` → qualified name. */
export function qualified(parts: readonly string[]): QualifiedName | null {
  if (parts.length === 0) return null;
  const name = parts[parts.length - 1]!;
  const schema = parts.length >= 2 ? parts[parts.length - 2]! : 'public';
  return { schema, name };
}

/** Map key of a qualified name. */
export function keyOf(q: QualifiedName): string {
  return `${q.schema}.${q.name}`;
}

/** How a name is shown in messages: `"tasks"`, or `auth."users"` outside public. */
export function display(q: QualifiedName): string {
  return q.schema === 'public' ? `"${q.name}"` : `${q.schema}."${q.name}"`;
}

/** The type's name without `pg_catalog.`, e.g. `timestamp`, `timestamptz`, `text`. */
export function typeName(t: TypeName | undefined): string {
  const parts = strings(t?.names);
  return parts[parts.length - 1] ?? '';
}

/**
 * Visits every node below `value` (depth first, in document order), calling `visit`
 * with the node type and payload. Return `false` from `visit` to skip a node's children.
 */
export function walk(value: unknown, visit: (kind: string, payload: Record<string, unknown>) => boolean | void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const key in value as Record<string, unknown>) {
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    // Node type names start with a capital letter; fields do not.
    const code = key.charCodeAt(0);
    if (code >= 65 && code <= 90 && !Array.isArray(child)) {
      if (visit(key, child as Record<string, unknown>) === false) continue;
    }
    walk(child, visit);
  }
}
