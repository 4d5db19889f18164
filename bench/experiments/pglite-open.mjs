// Experiment (not part of `npm run bench`): what opening PGlite costs, apart from
// any migration. Opens the folder (creating it when new: initdb), runs SELECT 1,
// closes, and prints where the time went. Run it as a whole process (peak memory
// included) to compare: a new folder against an existing one, the four
// extensions src/db/pglite.ts registers against none, PGlite's options.
//
//   node bench/experiments/pglite-open.mjs <dir> [--ext all|none|pgcrypto,citext,…] [--relaxed] [--initial-memory MB] [--create SQL]
//
// <dir> `memory` opens an in-memory database. --create runs SQL after the open
// (e.g. "CREATE EXTENSION pgcrypto") to see what loading an extension costs.
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ext: { type: 'string', default: 'all' }, relaxed: { type: 'boolean' }, 'initial-memory': { type: 'string' }, create: { type: 'string' } },
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: pglite-open.mjs <dir|memory> [--ext all|none|list] [--relaxed] [--initial-memory MB] [--create SQL]\n');
  process.exit(2);
}
const t0 = performance.now();
const ALL = { pgcrypto: 'pgcrypto', uuid_ossp: 'uuid_ossp', citext: 'citext', pg_trgm: 'pg_trgm' };
const wanted = values.ext === 'all' ? Object.keys(ALL) : values.ext === 'none' ? [] : values.ext.split(',');
const { PGlite } = await import('@electric-sql/pglite');
const extensions = {};
for (const name of wanted) extensions[name] = (await import(`@electric-sql/pglite/contrib/${name}`))[name];
const t1 = performance.now();
const db = new PGlite(dir === 'memory' ? undefined : dir, {
  extensions,
  ...(values.relaxed ? { relaxedDurability: true } : {}),
  ...(values['initial-memory'] ? { initialMemory: Number(values['initial-memory']) * 2 ** 20 } : {}),
});
await db.waitReady;
const t2 = performance.now();
await db.query('SELECT 1');
if (values.create) await db.exec(values.create);
const t3 = performance.now();
await db.close();
const t4 = performance.now();
const ms = (a, b) => `${Math.round(b - a)} ms`;
process.stdout.write(`import ${ms(t0, t1)}, open ${ms(t1, t2)}, query ${ms(t2, t3)}, close ${ms(t3, t4)}; rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB\n`);
