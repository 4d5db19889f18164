// `node --import ./bench/trace-loads.mjs <script>`: records every module file the
// process loads (ES modules through a loader hook, CommonJS from the require
// cache) and writes them, one per line, to $BENCH_TRACE_LOADS when it exits.
// The benchmark uses it to check that a command loads only what it needs.
import { register, createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const out = process.env.BENCH_TRACE_LOADS;
if (out) {
  const seen = new Set();
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => seen.add(url));
  port1.unref();
  register('./trace-loads-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const files = new Set(Object.keys(require('node:module')._cache));
    for (const url of seen) if (url.startsWith('file:')) files.add(fileURLToPath(url));
    writeFileSync(out, [...files].sort().join('\n') + '\n');
  });
}
