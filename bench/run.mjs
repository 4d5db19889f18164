#!/usr/bin/env node
// `npm run bench`: the harness is TypeScript (bench/*.ts), compiled by `npm run build`
// into dist/bench/. See `npm run bench -- --help`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bench/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('bench: dist/bench/main.js is missing: run npm run build first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
