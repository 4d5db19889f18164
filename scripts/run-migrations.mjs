#!/usr/bin/env node
// `npm run db:migrate` and `node scripts/run-migrations.mjs` do the same thing.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(['migrate', ...process.argv.slice(2)]);
