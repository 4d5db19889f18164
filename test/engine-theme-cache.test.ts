// The theme config's plugins are remembered by content hash: a run whose config
// did not change skips the TypeScript parser; a changed config is read again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeProject, runCli, themeConfig, writeProject } from './support/project.js';

test('theme config cache: written on first read, keyed by content, never stale', async () => {
  const root = writeProject({
    'migrations/001_init.sql': 'SELECT 1;\n',
    'contents/themes/t1/config/theme.config.ts': themeConfig(['p1']),
    'contents/plugins/p1/migrations/001_p1.sql': 'SELECT 1;\n',
    'contents/plugins/p2/migrations/001_p2.sql': 'SELECT 2;\n',
  });
  mkdirSync(path.join(root, 'node_modules'));
  const cacheFile = path.join(root, 'node_modules', '.cache', 'tiered-migrate', 'theme-config.json');
  const env = { DATABASE_URL: 'pglite:memory', NEXT_PUBLIC_ACTIVE_THEME: 't1' };
  try {
    const first = await runCli(['migrate', '--root', root, '--json', '--no-env-file', '--dry-run'], env);
    assert.equal(first.code, 0, first.stderr);
    const entries = (JSON.parse(readFileSync(cacheFile, 'utf8')) as { entries: Record<string, string[]> }).entries;
    assert.deepEqual(Object.values(entries), [['p1']]);

    // Poison the cached entry: if the cache were consulted for this content, p2 would appear.
    const key = Object.keys(entries)[0]!;
    writeFileSync(cacheFile, JSON.stringify({ version: 1, entries: { [key]: ['p2'] } }));
    const cached = await runCli(['migrate', '--root', root, '--json', '--no-env-file', '--dry-run'], env);
    assert.deepEqual(cached.json!.migrations.map((m) => m.source).filter(Boolean), ['p2'], 'the unchanged config is answered from the cache');

    writeFileSync(path.join(root, 'contents/themes/t1/config/theme.config.ts'), themeConfig(['p1', 'p2']));
    const changed = await runCli(['migrate', '--root', root, '--json', '--no-env-file', '--dry-run'], env);
    assert.deepEqual(changed.json!.migrations.map((m) => m.source).filter(Boolean), ['p1', 'p2'], 'a changed config is parsed again');
  } finally {
    removeProject(root);
  }
});
