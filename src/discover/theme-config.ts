// Reads a theme's `plugins: [...]` from theme.config.ts without executing it:
// the file is parsed by a real TypeScript parser (oxc) and only literal values
// are accepted. The parser is loaded on demand and passed in; results are
// remembered by the config's content hash (see theme-config-cache.ts), so a run
// whose config did not change never loads it.
import { createHash } from 'node:crypto';
import { MigrateError } from '../core/errors.js';
import { lineColumnAtIndex } from '../core/position.js';

/** The TypeScript parser, as loaded by `loadThemeConfigParser`. */
export type ThemeConfigParser = typeof import('oxc-parser');

/** Loads the TypeScript parser (a native module: loaded only when a config must be parsed). */
export async function loadThemeConfigParser(): Promise<ThemeConfigParser> {
  return import('oxc-parser');
}

/** The key a config's plugins are remembered under (see theme-config-cache.ts). */
export function themeConfigKey(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Type-only wrappers that do not change the value: `x as const`, `x satisfies T`, `<T>x`, `x!`, `(x)`. */
function unwrap(node: AstNode): AstNode {
  let current = node;
  for (;;) {
    if (
      (current.type === 'TSAsExpression' ||
        current.type === 'TSSatisfiesExpression' ||
        current.type === 'TSTypeAssertion' ||
        current.type === 'TSNonNullExpression' ||
        current.type === 'ParenthesizedExpression') &&
      isNode(current.expression)
    ) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

function propertyName(prop: AstNode): string | null {
  if (prop.type !== 'Property' || prop.computed) return null;
  const key = prop.key;
  if (!isNode(key)) return null;
  if (key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return null;
}

/** Every `plugins` property of an object literal anywhere in the file. */
function findPluginsProperties(root: AstNode): AstNode[] {
  const found: AstNode[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const v of value) stack.push(v);
      continue;
    }
    if (!isNode(value)) continue;
    if (value.type === 'ObjectExpression') {
      for (const prop of value.properties as unknown[]) {
        if (isNode(prop) && propertyName(prop) === 'plugins') found.push(prop);
      }
    }
    for (const key of Object.keys(value)) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      const child = value[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Top-level `const NAME = <init>` declarations, so `plugins: PLUGINS` can be resolved. */
function topLevelConstants(program: AstNode): Map<string, AstNode> {
  const constants = new Map<string, AstNode>();
  for (const statement of program.body as AstNode[]) {
    const declaration = statement.type === 'ExportNamedDeclaration' && isNode(statement.declaration) ? statement.declaration : statement;
    if (declaration.type !== 'VariableDeclaration' || declaration.kind !== 'const') continue;
    for (const d of declaration.declarations as AstNode[]) {
      if (isNode(d.id) && d.id.type === 'Identifier' && isNode(d.init)) constants.set(d.id.name as string, d.init);
    }
  }
  return constants;
}

/**
 * Returns the plugin names listed by the theme config `source` (file `file`, for
 * messages). A missing `plugins` property means no plugins; anything that is not
 * a literal array of strings is a THEME_CONFIG error pointing at it.
 */
export function readPluginsFromThemeConfig(parser: ThemeConfigParser, source: string, file: string): string[] {
  return parsePlugins(parser, source, file);
}

function parsePlugins(parser: ThemeConfigParser, source: string, file: string): string[] {
  const result = parser.parseSync(file, source, { lang: 'ts', sourceType: 'module' });
  const fail = (message: string, at: number, hint: string): never => {
    const { line, column } = lineColumnAtIndex(source, at);
    throw new MigrateError('THEME_CONFIG', `${file}:${line}:${column}: ${message}`, { file, line, column, hint });
  };
  const syntaxError = result.errors.find((e) => e.severity === 'Error');
  if (syntaxError) {
    fail(`cannot parse theme config: ${syntaxError.message}`, syntaxError.labels[0]?.start ?? 0, 'Fix the TypeScript syntax error.');
  }
  const program = result.program as unknown as AstNode;
  const properties = findPluginsProperties(program);
  if (properties.length === 0) return [];
  if (properties.length > 1) {
    fail('more than one `plugins` property; cannot tell which one the theme uses', properties[1]!.start, 'Keep a single `plugins: [...]` in the theme config.');
  }
  const property = properties[0]!;
  let value = unwrap(property.value as AstNode);
  if (property.shorthand || value.type === 'Identifier') {
    const constant = topLevelConstants(program).get(value.name as string);
    if (!constant) {
      fail(`\`plugins\` refers to \`${value.name as string}\`, which is not a constant of this file`, value.start, 'Write the plugin names as a literal array: plugins: [\'ai\', \'billing\'].');
    }
    value = unwrap(constant!);
  }
  if (value.type !== 'ArrayExpression') {
    fail('`plugins` must be a literal array of plugin names', value.start, 'Write the plugin names as a literal array: plugins: [\'ai\', \'billing\'].');
  }
  const names: string[] = [];
  for (const element of value.elements as (AstNode | null)[]) {
    if (element === null) continue;
    const item = unwrap(element);
    if (item.type === 'Literal' && typeof item.value === 'string') {
      names.push(item.value);
    } else if (item.type === 'TemplateLiteral' && (item.expressions as unknown[]).length === 0) {
      const quasi = (item.quasis as AstNode[])[0];
      names.push(String((quasi?.value as { cooked?: string } | undefined)?.cooked ?? ''));
    } else {
      fail('every entry of `plugins` must be a string literal', item.start, 'Plugins are read without running the config: list names as string literals.');
    }
  }
  return names;
}
