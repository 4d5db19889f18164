// `tiered-migrate init [--theme NAME]`: sets up an app (see scaffold/init.ts) and
// lists what it created, extended and skipped.
import path from 'node:path';
import { initApp } from '../../scaffold/init.js';
import { PROGRAM, noExtraArguments, parseCommandArgs } from '../args.js';
import { makeOutput } from '../output.js';
import { packageVersion } from '../../discover/core-dir.js';

const USAGE = `Usage: ${PROGRAM} init [--theme NAME] [--root DIR] [--json]

Sets up an app: writes the default theme (with its tasks entity) and the ai and
billing plugins into contents/, adds the db:* scripts to package.json, .pglite/ to
.gitignore and NEXT_PUBLIC_ACTIVE_THEME to .env. Never overwrites a file: what
exists is skipped and listed. Then: npx ${PROGRAM} migrate

Options:
  --theme NAME   the app theme's folder name (default: default)
  --root DIR     the app's root (default: current folder)
  --json         print one JSON document: { ok, theme, created, updated, skipped }
  -h, --help     show this help`;

export async function initCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { theme: { type: 'string' }, root: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'init',
  );
  const output = makeOutput({ json: values.json ?? false, env });
  if (values.help) {
    output.out(USAGE);
    output.flush();
    return 0;
  }
  noExtraArguments(positionals, 'init');
  const result = initApp({ root: path.resolve(values.root ?? '.'), ...(values.theme !== undefined ? { theme: values.theme } : {}) });
  if (values.json) {
    output.raw(`${JSON.stringify({ version: packageVersion(), schemaVersion: 1, ok: true, ...result }, null, 2)}\n`);
    return 0;
  }
  const { style } = output;
  for (const file of result.created) output.out(`${style.green('created')}  ${file}`);
  for (const file of result.updated) output.out(`${style.green('updated')}  ${file.path} (${file.added.join(', ')})`);
  for (const file of result.skipped) output.out(`${style.yellow('skipped')}  ${file.path} (${file.reason})`);
  output.out('');
  output.out(`✅ Theme "${result.theme}" with plugins ai and billing. Next: npx ${PROGRAM} migrate   (or npm run db:migrate)`);
  output.flush();
  return 0;
}
