#!/usr/bin/env node
// The `pirack` binary. An installed package (`npm pack`, then `npm install -g`) runs the bundled
// command line in dist/cli/ (scripts/bundle-cli.ts) and needs neither tsx nor esbuild. A checkout
// runs its TypeScript sources through tsx (src/cli/pirack.mjs), so an edit shows at once and a
// stale dist/ is never run by mistake; `node dist/cli/pirack.js` runs a checkout's build
// (`npm run build`) explicitly.
import { existsSync } from 'node:fs';

function resolves(specifier) {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

const checkout = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const built = new URL('../dist/cli/pirack.js', import.meta.url);
if (checkout && resolves('tsx/esm/api')) await import('../src/cli/pirack.mjs');
else if (existsSync(built)) await import(built.href);
else {
  process.stderr.write('pirack: dist/ is missing and tsx is not installed; run `npm ci` (it builds) or `npm run build`.\n');
  process.exitCode = 1;
}
