import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileSource } from '../../../src/source/file.ts';
import { contentRevision } from '../../../src/config/revision.ts';
import type { DesiredSource } from '../../../src/source/types.ts';
import { collector, sleep } from './helpers.ts';

describe('file source', () => {
  let dir: string;
  let file: string;
  let source: DesiredSource | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-filesrc-'));
    file = join(dir, 'rack.yaml');
    writeFileSync(file, 'v: 1\n');
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls back with the current content at start', async () => {
    const c = collector();
    source = createFileSource({ path: file, debounceMs: 20, pollIntervalMs: 0 });
    await source.start(c.on);
    expect(c.seen).toEqual([expect.objectContaining({ revision: contentRevision('v: 1\n'), text: 'v: 1\n', path: file })]);
  });

  it('sees a save in place within a second', async () => {
    const c = collector();
    source = createFileSource({ path: file, debounceMs: 20, pollIntervalMs: 0 });
    await source.start(c.on);
    writeFileSync(file, 'v: 2\n');
    const r = await c.waitFor((x) => x.text === 'v: 2\n', 1000);
    expect(r.revision).toBe(contentRevision('v: 2\n'));
  });

  it('sees an editor replacing the file by rename within a second', async () => {
    const c = collector();
    source = createFileSource({ path: file, debounceMs: 20, pollIntervalMs: 0 });
    await source.start(c.on);
    const tmp = join(dir, '.rack.yaml.swp');
    writeFileSync(tmp, 'v: 3\n');
    renameSync(tmp, file);
    await c.waitFor((x) => x.text === 'v: 3\n', 1000);
    // And keeps watching the new inode.
    writeFileSync(file, 'v: 4\n');
    await c.waitFor((x) => x.text === 'v: 4\n', 1000);
  });

  it('does not call back when the content did not change, or for other files', async () => {
    const c = collector();
    source = createFileSource({ path: file, debounceMs: 20, pollIntervalMs: 0 });
    await source.start(c.on);
    writeFileSync(file, 'v: 1\n');
    writeFileSync(join(dir, 'other.yaml'), 'x');
    await sleep(300);
    await source.check();
    expect(c.seen).toHaveLength(1);
  });

  it('calls nobody after stop', async () => {
    const c = collector();
    source = createFileSource({ path: file, debounceMs: 20, pollIntervalMs: 0 });
    await source.start(c.on);
    await source.stop();
    writeFileSync(file, 'v: 9\n');
    await sleep(200);
    expect(c.seen).toHaveLength(1);
  });
});
