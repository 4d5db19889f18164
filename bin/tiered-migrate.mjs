#!/usr/bin/env node
// The `tiered-migrate` command (npx tiered-migrate …): the bundled command line in dist/.
import '../dist/bin.js';
