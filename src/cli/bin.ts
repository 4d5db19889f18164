// The `tiered-migrate` executable's body: the process's arguments in, its exit code out.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
