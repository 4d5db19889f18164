// Pure helpers: error positions, theme config reading, redaction, env files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lineColumnAtCharPosition, lineColumnAtByteOffset } from '../src/core/position.js';
import { loadThemeConfigParser, readPluginsFromThemeConfig } from '../src/discover/theme-config.js';

const oxc = await loadThemeConfigParser();
import { MigrateError } from '../src/core/errors.js';
import { redactUrl, scrub, secretsOf } from '../src/core/redact.js';
import { loadEnvFiles } from '../src/api/env-files.js';

test('PostgreSQL character positions map to line and column, astral characters counted once', () => {
  const sql = '-- 😀 comment\nSELECT 1;\r\n  SELECT foo FROM bar;';
  // PostgreSQL counts the emoji as one character: "bar" starts at character 40.
  const pgPosition = [...sql].indexOf('b') + 1;
  assert.deepEqual(lineColumnAtCharPosition(sql, pgPosition), { line: 3, column: 19, text: '  SELECT foo FROM bar;' });
  // libpg_query reports UTF-8 byte offsets.
  const byteOffset = Buffer.byteLength(sql.slice(0, sql.indexOf('bar')));
  assert.equal(lineColumnAtByteOffset(sql, byteOffset).column, 19);
});

test('theme config: comments, multi-line arrays, quote styles, as const, satisfies', () => {
  const source = `import type { ThemeConfig } from '@/types';
/* plugins: ['commented'] */
export const config = {
  name: 'default', // plugins: ['nope']
  plugins: [
    'ai',
    "billing",
    \`crm\`,
  ] as const,
} satisfies ThemeConfig;
export default config;
`;
  assert.deepEqual(readPluginsFromThemeConfig(oxc, source, 'theme.config.ts'), ['ai', 'billing', 'crm']);
  assert.deepEqual(readPluginsFromThemeConfig(oxc, `const PLUGINS = ['a'] as const;\nexport default { plugins: PLUGINS };`, 'x.ts'), ['a']);
  assert.deepEqual(readPluginsFromThemeConfig(oxc, `export default { name: 'x' };`, 'x.ts'), []);
});

test('theme config: a non-literal plugins value is an error with line and column', () => {
  const source = `import { list } from './list';\nexport default {\n  plugins: list(),\n};\n`;
  assert.throws(
    () => readPluginsFromThemeConfig(oxc, source, 'contents/themes/t/config/theme.config.ts'),
    (error: unknown) => error instanceof MigrateError && error.code === 'THEME_CONFIG' && error.line === 3 && error.column === 12 && /literal array/.test(error.message),
  );
  assert.throws(() => readPluginsFromThemeConfig(oxc, `export default { plugins: ['a', name] };`, 'x.ts'), /string literal/);
  assert.throws(() => readPluginsFromThemeConfig(oxc, `export default { plugins: [ };`, 'x.ts'), /cannot parse/);
});

test('passwords are redacted from URLs and from free text', () => {
  const url = 'postgres://app:s3cr%40t-pw@db.example.com:6543/main?sslmode=require';
  assert.equal(redactUrl(url), 'postgres://app:***@db.example.com:6543/main?sslmode=require');
  const text = `could not connect to ${url} (password s3cr@t-pw rejected)`;
  const clean = scrub(text, secretsOf(url));
  assert.doesNotMatch(clean, /s3cr/);
  assert.match(clean, /app:\*\*\*@db\.example\.com/);
  assert.equal(scrub('postgresql://u:pw@h/d', []), 'postgresql://u:***@h/d');
  // A password equal to the user name must not blank out every "postgres" in the text.
  const weak = 'postgres://postgres:postgres@127.0.0.1:5432/app';
  assert.equal(scrub(`Connected to ${weak} as postgres`, secretsOf(weak)), 'Connected to postgres://postgres:***@127.0.0.1:5432/app as postgres');
});

test('env files follow Next.js precedence; process variables win; $VAR expands', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tm-env-'));
  writeFileSync(path.join(root, '.env'), 'A=env\nB=env\nC=env\nD=env\nHOST=localhost\nURL=postgres://u@${HOST}/db\n');
  writeFileSync(path.join(root, '.env.development'), 'B=development\nC=development\nD=development\n');
  writeFileSync(path.join(root, '.env.local'), 'C=local\nD=local\n');
  writeFileSync(path.join(root, '.env.development.local'), 'D=development.local\n');
  const env: NodeJS.ProcessEnv = { A: 'process' };
  const loaded = loadEnvFiles(root, env);
  assert.deepEqual([env.A, env.B, env.C, env.D], ['process', 'development', 'local', 'development.local']);
  assert.equal(env.URL, 'postgres://u@localhost/db');
  assert.deepEqual(loaded, ['.env.development.local', '.env.local', '.env.development', '.env']);
  const testEnv: NodeJS.ProcessEnv = { NODE_ENV: 'test' };
  loadEnvFiles(root, testEnv);
  assert.equal(testEnv.C, 'env', '.env.local is not read when NODE_ENV=test');
});

test('parser syntax errors are placed by characters; statement spans by bytes', async () => {
  const { splitStatements, SqlSyntaxError } = await import('../src/sql/statements.js');
  const script = "SELECT 'é😀' FROM ,;";
  await assert.rejects(splitStatements(script), (e: unknown) => e instanceof SqlSyntaxError && e.index === script.indexOf(','));
  const spans = await splitStatements("SELECT 'é😀';\nSELECT 2;");
  assert.equal("SELECT 'é😀';\nSELECT 2;".slice(spans[1]!.start, spans[1]!.end).trim(), 'SELECT 2');
});
