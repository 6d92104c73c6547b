/**
 * Rejected revisions never take the daemon down and are remembered across a restart (issue 11).
 * Before the fix a FIFO or /dev/zero source froze or aborted the daemon, and the same revision,
 * offered again at restart, did it again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeRevisionGuarded, loadLastGood, saveLastGood } from '../../../src/daemon/desired-state.ts';
import { createFileSource } from '../../../src/source/file.ts';
import type { DesiredRevision } from '../../../src/source/types.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pirack-desired-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('judgeRevisionGuarded', () => {
  it('refuses, without judging it again, a revision that was being judged when the daemon stopped', async () => {
    writeFileSync(join(dir, 'judging-revision.json'), JSON.stringify({ revision: 'sha256:deadbeef', since: '2026-12-01T00:00:00Z' }));
    const verdict = await judgeRevisionGuarded(dir, { revision: 'sha256:deadbeef', text: 'name: [', path: '/r/rack.yaml' });
    expect(verdict).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(
          /revision sha256:deadbeef stopped the daemon while it was being judged .*; it is refused without judging it again/,
        ),
      ],
    });
    expect(existsSync(join(dir, 'judging-revision.json'))).toBe(false);
    // Remembered: a second restart refuses it too.
    const again = await judgeRevisionGuarded(dir, { revision: 'sha256:deadbeef', text: 'name: [', path: '/r/rack.yaml' });
    expect(again.ok).toBe(false);
  });

  it('reports a broken revision as errors and clears its marker', async () => {
    const verdict = await judgeRevisionGuarded(dir, { revision: 'r1', text: '['.repeat(100_000), path: '/r/rack.yaml' });
    expect(verdict).toEqual({ ok: false, errors: [expect.stringContaining('the YAML nests [ ] or { } deeper than 64 levels')] });
    expect(existsSync(join(dir, 'judging-revision.json'))).toBe(false);
  });

  it('reports a revision the source refused unread as a revision error', async () => {
    const verdict = await judgeRevisionGuarded(dir, {
      revision: 'refused:x',
      text: '',
      path: '/r/rack.yaml',
      refused: '/r/rack.yaml is a FIFO (named pipe); only regular files are read',
    });
    expect(verdict).toEqual({
      ok: false,
      errors: [expect.stringContaining('/r/rack.yaml is a FIFO (named pipe); only regular files are read')],
    });
  });
});

describe('the file source', () => {
  it('offers a FIFO rack.yaml as a refused revision instead of blocking', async () => {
    const path = join(dir, 'rack.yaml');
    execFileSync('mkfifo', [path]);
    const seen: DesiredRevision[] = [];
    const source = createFileSource({ path, pollIntervalMs: 0 });
    await source.start((r) => seen.push(r));
    await source.stop();
    expect(seen).toEqual([expect.objectContaining({ text: '', refused: `${path} is a FIFO (named pipe); only regular files are read` })]);
  });
});

describe('the last good revision', () => {
  it('keeps the folders source: was confined to, and reads with them on resume', async () => {
    writeFileSync(join(dir, 'inside'), 'in\n');
    await saveLastGood(dir, { revision: 'r', text: 'x: 1\n', path: join(dir, 'rack.yaml'), sourceRoots: [dir] });
    const rev = await loadLastGood(dir);
    expect(rev?.sourceRoots).toEqual([dir]);
    expect(rev?.readFile?.(join(dir, 'inside'))).toBe('in\n');
    expect(() => rev?.readFile?.('/etc/hostname')).toThrow(/lies outside/);
  });
});
