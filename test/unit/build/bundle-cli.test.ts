/**
 * The bundled command line (scripts/bundle-cli.ts): modules still find the files beside their
 * compiled copies, lazily imported commands stay separate chunks, packages outside BUNDLED stay
 * imports, and the built bundle validates rack.yaml loading a few files instead of dist/src/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, bundleCli, metaUrlFor } from '../../../scripts/bundle-cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILT = join(ROOT, 'dist', BUNDLE_ENTRY);
const RECORD_IMPORTS = join(ROOT, 'test/support/record-imports.mjs');
const exec = promisify(execFile);

describe('metaUrlFor', () => {
  it("points from the bundle's folder back to the module's compiled file", () => {
    expect(metaUrlFor('/p/dist/src/config/rack-validator.js', '/p/dist/cli')).toBe(
      'new URL("../src/config/rack-validator.js", import.meta.url).href',
    );
  });
});

describe('bundleCli on a small compiled tree', () => {
  let dist: string;

  beforeAll(async () => {
    dist = join(await mkdtemp(join(tmpdir(), 'pirack-bundle-')), 'dist');
    await mkdir(join(dist, 'src/cli'), { recursive: true });
    await mkdir(join(dist, 'src/data'), { recursive: true });
    await writeFile(join(dist, 'src/data/beside.txt'), 'found beside the module\n');
    // Reads a file beside itself, as the schema validator and the slave bundle do.
    await writeFile(
      join(dist, 'src/data/reader.js'),
      "import { readFileSync } from 'node:fs';\nexport const text = () => readFileSync(new URL('./beside.txt', import.meta.url), 'utf8');\n",
    );
    await writeFile(join(dist, 'src/data/remote.js'), "import { Client } from 'ssh2';\nexport const client = () => new Client();\n");
    await writeFile(
      join(dist, 'src/cli/bin.js'),
      [
        "if (process.argv[2] === 'remote') await import('../data/remote.js');",
        "const { text } = await import('../data/reader.js');",
        'process.stdout.write(text());',
        '',
      ].join('\n'),
    );
    await bundleCli(dist);
  });

  afterAll(async () => {
    await rm(join(dist, '..'), { recursive: true, force: true });
  });

  it("rewrites import.meta.url so a module reads the file beside its compiled copy, not the chunk's", async () => {
    const { stdout } = await exec(process.execPath, [join(dist, BUNDLE_ENTRY)]);
    expect(stdout).toBe('found beside the module\n');
  });

  it('keeps lazily imported modules in chunks of their own, and other packages as imports', async () => {
    const files = await readdir(join(dist, 'cli'));
    const texts = await Promise.all(files.map((f) => readFile(join(dist, 'cli', f), 'utf8')));
    const entry = await readFile(join(dist, BUNDLE_ENTRY), 'utf8');
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(entry).not.toContain('src/data/reader.js');
    const remote = texts.find((t) => t.includes('// src/data/remote.js') || /\/\/ .*src\/data\/remote\.js/.test(t));
    expect(remote).toMatch(/from "ssh2"/);
  });
});

// Only a built checkout has the bundle; `npm run build` writes it.
describe.runIf(existsSync(BUILT))('the built bundle (rerun `npm run build` if stale)', () => {
  it('validates the committed rack.yaml from a few chunks, without loading dist/src/', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pirack-bundle-imports-'));
    try {
      const record = join(dir, 'imports.txt');
      await writeFile(record, '');
      const { stdout } = await exec(process.execPath, ['--import', RECORD_IMPORTS, BUILT, 'validate', '--rack', join(ROOT, 'rack.yaml')], {
        env: { ...process.env, PIRACK_RECORD_IMPORTS: record },
      });
      expect(stdout).toMatch(/ok \(4 stacks, 48 Pis, revision sha256:[0-9a-f]+\)/);
      const files = new Set((await readFile(record, 'utf8')).split('\n').filter((u) => u.startsWith('file:')));
      expect([...files].filter((u) => u.includes('/dist/src/'))).toEqual([]);
      expect([...files].filter((u) => u.includes('/dist/cli/')).length).toBeGreaterThan(1);
      expect(files.size).toBeLessThan(15);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
