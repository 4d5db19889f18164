#!/usr/bin/env node
// `npm run db:migrate` and `node scripts/run-migrations.mjs` do the same thing.
import { ensureBundle } from './build.mjs';

await ensureBundle();
const { main } = await import('../dist/cli.js');

process.exitCode = await main(['migrate', ...process.argv.slice(2)]);
