#!/usr/bin/env node
// The compiled entry, dist/src/cli/bin.js. The build bundles it into dist/cli/pirack.js
// (scripts/bundle-cli.ts), what an installed `pirack` runs (see bin/pirack.mjs); src/cli/pirack.mjs
// is its twin for the sources, through tsx.
import { main } from './main.ts';

process.exitCode = await main(process.argv);
