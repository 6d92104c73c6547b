#!/usr/bin/env node
// The `pirack` binary. It registers tsx so the TypeScript sources run as they are: right after
// `npm ci`, `npx pirack …` works with no build step to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
