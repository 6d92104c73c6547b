/**
 * Judging a revision stays bounded whatever the file holds (issue 11): size before reading,
 * regular files only, nesting before composing, problems placed in one pass, `source:` confined.
 * Before the fix: a 5 MB line of `[` exhausted the heap after 49 s, 50,000 unknown keys took
 * 47 s, a FIFO froze the daemon, /dev/zero aborted it, and `source: ../rack/id_ed25519` was read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { PositionIndex, positionTable } from '../../../src/config/positions.ts';
import { analyseInWorker } from '../../../src/config/analyse-in-worker.ts';
import { loadRackResult, MAX_PROBLEMS, parseRack, type RackLoadResult } from '../../../src/config/load.ts';
import { committedFileReader } from '../../../src/source/git.ts';
import { baseRack, FAKE_KEY, testOptions } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pirack-limits-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

function problems(r: RackLoadResult): string[] {
  return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
}

/** A valid rack.yaml in `dir` whose one managed file has `source`. */
function rackWithSource(source: string): string {
  const raw = baseRack();
  raw.defaults!.files = [{ path: '/etc/motd', source }];
  const file = join(dir, 'rack', 'rack.yaml');
  mkdirSync(join(dir, 'rack'), { recursive: true });
  writeFileSync(file, stringify(raw));
  return file;
}

const load = (file: string, extra = {}) =>
  loadRackResult(file, { readPublicKey: () => FAKE_KEY, resolveBuiltin: () => undefined, ...extra });

describe('size and nesting', () => {
  it('refuses a 5 MB line of [ at once, by size', () => {
    const { value, ms } = timed(() => parseRack('['.repeat(5 * 1024 * 1024), testOptions()));
    expect(problems(value)).toEqual(['1:1 the file is 5242880 bytes, over the limit of 1048576 bytes']);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses 1 MiB of [ (within the size limit) by nesting, in well under a second', () => {
    const { value, ms } = timed(() => parseRack('['.repeat(1024 * 1024), testOptions()));
    expect(problems(value)).toEqual(['1:65 the YAML nests [ ] or { } deeper than 64 levels']);
    expect(ms).toBeLessThan(1000);
  });

  it('the size limit is configurable', () => {
    const text = stringify(baseRack());
    expect(problems(parseRack(text, testOptions({ maxBytes: 100 })))).toEqual([
      `1:1 the file is ${Buffer.byteLength(text)} bytes, over the limit of 100 bytes`,
    ]);
  });

  it('reports deep block nesting as a clear error, not "Maximum call stack size exceeded"', () => {
    const deep = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
    const r = parseRack(`apiVersion: pirack/v1\nx:\n${deep.replace(/^/gm, ' ')} 1\n`, testOptions());
    expect(problems(r)).toEqual([expect.stringMatching(/^\d+:\d+ the document nests deeper than 64 levels$/)]);
  });

  it('places 50,000 problems through one index of the document in well under a second', () => {
    const raw = baseRack() as unknown as Record<string, unknown>;
    for (let i = 0; i < 50_000; i++) raw[`k${i}`] = i;
    const lc = new LineCounter();
    const doc = parseDocument(stringify(raw), { lineCounter: lc, uniqueKeys: false });
    const { value: placed, ms } = timed(() => {
      const index = new PositionIndex(positionTable(doc, lc));
      return Array.from({ length: 50_000 }, (_, i) => index.place({ segments: [`k${i}`], atKey: true, message: 'm', hint: 'h' }));
    });
    // The walk per problem took 47 s; one pass is linear. Generous for a shared 2-core machine.
    expect(ms).toBeLessThan(2500);
    expect(placed[0]!.line).toBe(placed[1]!.line - 1);
    expect(placed[49_999]!.line).toBeGreaterThan(50_000);
  });

  it('refuses 50,000 unknown keys at once by the line limit', () => {
    const raw = baseRack() as unknown as Record<string, unknown>;
    for (let i = 0; i < 50_000; i++) raw[`k${i}`] = i;
    const text = stringify(raw);
    const { value, ms } = timed(() => parseRack(text, testOptions()));
    expect(ms).toBeLessThan(1000);
    expect(problems(value)).toEqual([expect.stringMatching(/^20001:1 the file has \d+ lines, over the limit of 20000$/)]);
  });

  it('2,000 unknown keys: the first hundred shown, the rest counted', () => {
    const raw = baseRack() as unknown as Record<string, unknown>;
    for (let i = 0; i < 2000; i++) raw[`k${i}`] = i;
    const r = parseRack(stringify(raw), testOptions());
    if (r.ok) throw new Error('expected problems');
    expect(r.problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(r.problems[0]!.message).toBe('the document has an unknown key "k0"');
    expect(r.problems.at(-1)!.message).toBe('and 1900 more problem(s) not shown');
  });

  it('a worker past its time limit is stopped and the revision gets a clear error', async () => {
    const flow = `{${Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`).join(', ')}}`;
    const analysis = await analyseInWorker(flow, { timeoutMs: 50 });
    expect(analysis).toEqual({
      ok: false,
      problems: [expect.objectContaining({ message: 'judging the revision took longer than 50 ms and was stopped' })],
    });
  });
});

describe('only regular files are read', () => {
  it('refuses a FIFO as source: without blocking', async () => {
    execFileSync(
      'mkfifo',
      [join(dir, 'rack', 'pipe')].map((p) => (mkdirSync(join(dir, 'rack'), { recursive: true }), p)),
    );
    const file = rackWithSource('pipe');
    const started = Date.now();
    const r = await load(file);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(problems(r)).toEqual([
      expect.stringMatching(
        /defaults\.files\[0\]\.source "pipe" is refused: .*pipe is a FIFO \(named pipe\); only regular files are read$/,
      ),
    ]);
  });

  it('refuses a FIFO as rack.yaml itself', async () => {
    execFileSync('mkfifo', [join(dir, 'rack.yaml')]);
    const r = await load(join(dir, 'rack.yaml'));
    expect(problems(r)).toEqual([expect.stringMatching(/^0:0 .*rack\.yaml is a FIFO \(named pipe\); only regular files are read$/)]);
  });

  it('refuses /dev/zero even from an allowed folder', async () => {
    const file = rackWithSource('/dev/zero');
    const r = await load(file, { allowedSourceDirs: ['/dev'] });
    expect(problems(r)).toEqual([
      expect.stringMatching(/"\/dev\/zero" is refused: \/dev\/zero is a character device; only regular files are read$/),
    ]);
  });

  it('refuses a source: over the size limit', async () => {
    const file = rackWithSource('big');
    writeFileSync(join(dir, 'rack', 'big'), 'x'.repeat(2000));
    expect(problems(await load(file, { maxBytes: 1000 }))).toEqual([
      expect.stringMatching(/big is 2000 bytes, over the limit of 1000 bytes$/),
    ]);
  });
});

describe('source: is confined', () => {
  it("refuses source: ../rack/id_ed25519 outside rack.yaml's folder, saying how to allow a folder", async () => {
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    const file = rackWithSource('../keys/id_ed25519');
    const r = await load(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toMatch(
      /"\.\.\/keys\/id_ed25519" is refused: .*keys\/id_ed25519 lies outside .*rack; source: files must be inside rack\.yaml's folder/,
    );
    expect(r.problems[0]!.hint).toMatch(/--allow-source <dir>/);
  });

  it('refuses a symbolic link inside the folder that points out of it', async () => {
    writeFileSync(join(dir, 'secret'), 'secret\n');
    const file = rackWithSource('link');
    symlinkSync(join(dir, 'secret'), join(dir, 'rack', 'link'));
    expect(problems(await load(file))[0]).toMatch(/link \(which resolves to .*secret\) lies outside/);
  });

  it('reads from a folder the master allows', async () => {
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'motd'), 'shared motd\n');
    const file = rackWithSource('../shared/motd');
    const r = await load(file, { allowedSourceDirs: [join(dir, 'shared')] });
    expect(problems(r)).toEqual([]);
    if (r.ok) expect(r.rack.nodes[0]!.files[0]!.content).toBe('shared motd\n');
  });
});

describe('source: in git mode', () => {
  const ID = ['-c', 'user.name=t', '-c', 'user.email=t@pirack.invalid', '-c', 'commit.gpgsign=false'];
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', [...ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let repo: string;
  let commit: string;
  beforeEach(() => {
    repo = join(dir, 'repo');
    git(dir, 'init', '--quiet', '-b', 'main', repo);
    writeFileSync(join(repo, 'motd'), 'hello\n');
    writeFileSync(join(repo, 'big'), 'x'.repeat(5000));
    symlinkSync('/etc/hostname', join(repo, 'link'));
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'x');
    commit = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(dir, 'id_ed25519'), 'PRIVATE\n');
  });

  it('reads committed files and refuses ../id_ed25519 outside the repository', () => {
    const read = committedFileReader(repo, commit);
    expect(read(join(repo, 'motd'))).toBe('hello\n');
    expect(() => read(join(dir, 'id_ed25519'))).toThrow(/lies outside the repository .*--allow-source/);
  });

  it("checks the committed blob's size (git ls-tree) before reading it, and refuses a committed symbolic link", () => {
    const read = committedFileReader(repo, commit, 10_000, { maxBytes: 1000 });
    expect(() => read(join(repo, 'big'))).toThrow(/big in commit [0-9a-f]{12} is 5000 bytes, over the limit of 1000 bytes/);
    expect(() => read(join(repo, 'link'))).toThrow(/link in commit [0-9a-f]{12} is a symbolic link/);
  });

  it('reads outside the repository only from an allowed folder', () => {
    const read = committedFileReader(repo, commit, 10_000, { allowedSourceDirs: [dir] });
    expect(read(join(dir, 'id_ed25519'))).toBe('PRIVATE\n');
  });
});
