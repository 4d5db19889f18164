// Experiment (not part of `npm run bench`): like floor-read-select.mjs, but the
// reads overlap with loading `pg` and connecting: file reads go to libuv's thread
// pool (fs.promises, 64 at a time) while the main thread imports pg and waits
// for the server. Shows how much of the reading a no-op run can hide.
//
//   DATABASE_URL=postgres://… node bench/experiments/floor-read-overlap.mjs <project-root>
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: floor-read-overlap.mjs <project-root>\n');
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
const digests = new Array(files.length);
const reading = (async () => {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      digests[i] = createHash('sha256').update(await readFile(files[i])).digest('hex');
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
})();
const connecting = (async () => {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return client;
})();
const [, client] = await Promise.all([reading, connecting]);
await client.query('SELECT 1');
await client.end();
if (digests.some((d) => d === undefined)) process.stderr.write('a file was not read\n');
