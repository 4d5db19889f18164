#!/usr/bin/env node
// `npm run db:migrate` and `node scripts/run-migrations.mjs` do the same thing.
import { main } from '../dist/cli.js';

process.exitCode = await main(['migrate', ...process.argv.slice(2)]);
