/** The installed `pirack` entry point (bin/pirack.mjs), found from this module in src/ or dist/src/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageBin(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'pirack.mjs');
    if (existsSync(bin) && existsSync(join(dir, 'package.json'))) return bin;
  }
  throw new Error(`bin/pirack.mjs not found above ${from}`);
}
