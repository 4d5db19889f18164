// Experiment (not part of `npm run bench`): what does the number of round trips
// per file cost in a fresh apply? Applies an ordered list of files with `pg`,
// each in its own transaction with the advisory lock, a re-read of a tracking row
// and its insert — like the engine — but packing the statements into 5, 2 or 1
// round trips per file.
//
//   node bench/experiments/round-trips.mjs <rounds: 5|2|1> <file-list> <database-url>
//
// <file-list>: absolute paths, one per line, in execution order.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [rounds, listFile, url] = process.argv.slice(2);
if (!['5', '2', '1'].includes(rounds ?? '') || !listFile || !url) {
  process.stderr.write('usage: round-trips.mjs 5|2|1 <file-list> <database-url>\n');
  process.exit(2);
}
const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`CREATE TABLE IF NOT EXISTS _exp_tracking (id SERIAL PRIMARY KEY, filename TEXT UNIQUE NOT NULL, checksum TEXT, executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`);
const LOCK = '7391604225118320';
const literal = (s) => `'${s.replaceAll("'", "''")}'`;
const started = performance.now();
for (const file of files) {
  const sql = readFileSync(file, 'utf8');
  if (rounds === '5') {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK})`);
    const seen = await client.query('SELECT 1 FROM _exp_tracking WHERE filename = $1', [file]);
    if (seen.rows.length === 0) {
      await client.query(sql);
      await client.query('INSERT INTO _exp_tracking (filename, checksum) VALUES ($1, $2)', [file, 'x']);
    }
    await client.query('COMMIT');
  } else if (rounds === '2') {
    // Lock and re-read in one message; the file, its record and COMMIT in the next.
    const res = await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK}); SELECT count(*)::int AS n FROM _exp_tracking WHERE filename = ${literal(file)}`);
    const seen = res.at(-1).rows[0].n > 0;
    if (seen) await client.query('COMMIT');
    else await client.query(`${sql}\n;\nINSERT INTO _exp_tracking (filename, checksum) VALUES (${literal(file)}, 'x');\nCOMMIT`);
  } else {
    // Everything in one message (no re-read: an upper bound of what packing can give).
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK});\n${sql}\n;\nINSERT INTO _exp_tracking (filename, checksum) VALUES (${literal(file)}, 'x');\nCOMMIT`);
  }
}
const ms = performance.now() - started;
await client.end();
process.stdout.write(`${rounds} round trip(s) per file: ${files.length} files in ${Math.round(ms)} ms (${(ms / files.length).toFixed(2)} ms/file)\n`);
