#!/usr/bin/env node
// `npm run db:<command>` in this repository: the same command line as `npx tiered-migrate`,
// bundled into dist/ (rebuilt here when src/ changed).
import { ensureBundle } from './build.mjs';

await ensureBundle();
const { main } = await import('../dist/cli.js');

process.exitCode = await main(process.argv.slice(2));
