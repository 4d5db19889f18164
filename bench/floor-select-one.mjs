// The no-op floor: a bare Node process that loads `pg`, connects to DATABASE_URL,
// runs SELECT 1 and exits. A migration run with nothing to do cannot cost less.
import pg from 'pg';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
await client.end();
