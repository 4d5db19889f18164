#!/usr/bin/env node
// `npm run db:<command>` in this repository: the same command line as `npx tiered-migrate`,
// built by `npm install` (prepare) into dist/.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
