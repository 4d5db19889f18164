// Experiment (not part of `npm run bench`): the no-op floor plus the one cost the
// target allows on top of it ("beyond reading them"): every .sql file of the
// project read and hashed (SHA-256), then connect and SELECT 1. What a no-op run
// with a perfect engine would cost.
//
//   DATABASE_URL=postgres://… node bench/experiments/floor-read-select.mjs <project-root>
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: floor-read-select.mjs <project-root>\n');
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
let digest = '';
for (const file of files) digest = createHash('sha256').update(readFileSync(file)).digest('hex');
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
await client.end();
if (digest === '') process.stderr.write('no files read\n');
