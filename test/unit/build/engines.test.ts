/**
 * package.json's `engines` is true: every package of the lock accepts every Node.js it names
 * (so `npm ci` prints no EBADENGINE), the Node.js here is one of them, and so are the current LTS
 * lines a real master runs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url);
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', ROOT)), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(fileURLToPath(new URL('package-lock.json', ROOT)), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean; os?: string[]; cpu?: string[] }>;
};

describe('engines', () => {
  const ours = pkg.engines.node;

  it('includes the Node.js running here and the LTS lines 22 and 24', () => {
    for (const version of [process.version, '22.13.0', '24.0.0']) expect(semver.satisfies(version, ours), version).toBe(true);
  });

  it('is within what every locked package accepts (platform-specific optional builds excepted)', () => {
    const narrower: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const wanted = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (path === '' || wanted === undefined) continue;
      // Binaries for another OS/CPU or a wasm fallback are never installed here (npm skips them).
      if (p.optional && (p.os || p.cpu || path.includes('wasm'))) continue;
      if (!semver.subset(ours, wanted)) narrower.push(`${path} wants node ${wanted}`);
    }
    expect(narrower).toEqual([]);
  });
});
