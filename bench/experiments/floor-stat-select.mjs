// Experiment (not part of `npm run bench`): the no-op floor plus what an engine
// would still do if it trusted a cache of checksums keyed by each file's
// size and modification time (as git's index does) instead of reading the files:
// every folder listed and every .sql file stat()ed, then connect and SELECT 1.
// Compare with floor-read-select.mjs (every file read and hashed): the difference
// is the most such a cache could save on a no-op run.
//
//   DATABASE_URL=postgres://… node bench/experiments/floor-stat-select.mjs <project-root>
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: floor-stat-select.mjs <project-root>\n');
  process.exit(2);
}
const walk = (dir, out) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.sql')) out.push(full);
  }
  return out;
};
const files = [...walk(path.join(root, 'migrations'), []), ...walk(path.join(root, 'contents'), [])];
let key = 0;
for (const file of files) {
  const s = statSync(file, { bigint: true });
  key ^= Number(s.mtimeNs % 1000000n) ^ Number(s.size);
}
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
await client.end();
if (files.length === 0) process.stderr.write(`no files found (${key})\n`);
