#!/usr/bin/env node
// `npm run db:<command>`: the CLI, built by `npm install` (prepare) into dist/.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
