import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { committedFileReader, createGitSource } from '../../../src/source/git.ts';
import type { DesiredSource } from '../../../src/source/types.ts';
import { collector, sleep } from './helpers.ts';

const ID = ['-c', 'user.name=PiRack Test', '-c', 'user.email=test@pirack.invalid', '-c', 'commit.gpgsign=false'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).trim();
}

function commit(repo: string, text: string, message = 'edit'): string {
  writeFileSync(join(repo, 'rack.yaml'), text);
  git(repo, 'add', 'rack.yaml');
  git(repo, 'commit', '--quiet', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('git source', () => {
  let root: string;
  let repo: string;
  let source: DesiredSource | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pirack-gitsrc-'));
    repo = join(root, 'work');
    git(root, 'init', '--quiet', '-b', 'main', repo);
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the committed file at start, then each new commit with its id', async () => {
    const first = commit(repo, 'v: 1\n');
    const c = collector();
    source = createGitSource({ repoDir: repo, branch: 'main', pollIntervalMs: 60_000 });
    await source.start(c.on);
    expect(c.seen).toEqual([expect.objectContaining({ revision: first, text: 'v: 1\n', path: join(repo, 'rack.yaml') })]);
    const second = commit(repo, 'v: 2\n');
    const r = await c.waitFor((x) => x.revision === second, 1000);
    expect(r.text).toBe('v: 2\n');
  });

  it('does not apply an uncommitted edit', async () => {
    commit(repo, 'v: 1\n');
    const c = collector();
    source = createGitSource({ repoDir: repo, branch: 'main', pollIntervalMs: 100 });
    await source.start(c.on);
    writeFileSync(join(repo, 'rack.yaml'), 'v: uncommitted\n');
    git(repo, 'add', 'rack.yaml');
    await sleep(400);
    await source.check();
    expect(c.seen.map((r) => r.text)).toEqual(['v: 1\n']);
  });

  it('sees a commit made right after start (the periodic check catches what the watch misses)', async () => {
    commit(repo, 'v: 1\n');
    const c = collector();
    source = createGitSource({ repoDir: repo, branch: 'main', pollIntervalMs: 200 });
    const started = source.start(c.on);
    const next = commit(repo, 'v: 2\n');
    await started;
    await c.waitFor((x) => x.revision === next, 1500);
  });

  it('follows a remote branch fetched on an interval', async () => {
    const bare = join(root, 'origin.git');
    const other = join(root, 'other');
    git(root, 'init', '--quiet', '--bare', '-b', 'main', bare);
    git(root, 'clone', '--quiet', bare, other);
    git(other, 'checkout', '--quiet', '-b', 'main');
    commit(other, 'v: 1\n');
    git(other, 'push', '--quiet', 'origin', 'main');
    const daemon = join(root, 'daemon');
    git(root, 'clone', '--quiet', bare, daemon);

    const c = collector();
    source = createGitSource({ repoDir: daemon, branch: 'main', remote: { name: 'origin', fetchIntervalMs: 150 }, pollIntervalMs: 60_000 });
    await source.start(c.on);
    expect(c.seen.map((r) => r.text)).toEqual(['v: 1\n']);
    const pushed = commit(other, 'v: 2\n');
    git(other, 'push', '--quiet', 'origin', 'main');
    const r = await c.waitFor((x) => x.revision === pushed, 3000);
    expect(r.text).toBe('v: 2\n');
  });

  it('reports a branch without the file instead of calling back', async () => {
    writeFileSync(join(repo, 'README'), 'x');
    git(repo, 'add', 'README');
    git(repo, 'commit', '--quiet', '-m', 'no rack');
    const errors: Error[] = [];
    const c = collector();
    source = createGitSource({ repoDir: repo, branch: 'main', pollIntervalMs: 60_000, onError: (e) => errors.push(e) });
    await source.start(c.on);
    expect(c.seen).toEqual([]);
    expect(errors[0]?.message).toMatch(/^commit [0-9a-f]{12} of refs\/heads\/main has no rack\.yaml$/);
  });

  it('reads referenced files as of the commit, not the working tree', () => {
    const id = commit(repo, 'v: 1\n');
    writeFileSync(join(repo, 'rack.yaml'), 'dirty\n');
    expect(committedFileReader(repo, id)(join(repo, 'rack.yaml'))).toBe('v: 1\n');
  });
});
