import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockStateDir } from '../../../src/daemon/state-lock.ts';
import { isPiRackError } from '../../../src/errors.ts';
import { backupStateDir, restoreStateDir } from '../../../src/master/backup.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pirack-backup-'));
  dirs.push(d);
  return d;
}

/** A state dir as a running master has it. */
function stateDir(base: string): string {
  const dir = join(base, 'state');
  mkdirSync(join(dir, 'sub'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'admin-token'), 'secret-token-of-the-old-master\n', { mode: 0o600 });
  writeFileSync(join(dir, 'known_hosts.json'), '{"pi-1":"ssh-ed25519 AAAA"}\n');
  writeFileSync(join(dir, 'bindings.json'), '{"aa:bb":"pi-1"}\n');
  writeFileSync(join(dir, 'last-good.json'), '{"revision":"abc"}\n');
  writeFileSync(join(dir, 'sub', 'nested'), 'n\n');
  writeFileSync(join(dir, 'daemon.json'), '{"pid":1}\n');
  return dir;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isPiRackError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'no error';
}

describe('pirack master backup / restore', () => {
  it('round-trips the state dir to a new master: contents and modes; runtime files left out', async () => {
    const base = tmp();
    const old = stateDir(base);
    const file = join(base, 'backup.json');
    const { files } = await backupStateDir(old, file);
    expect(files).toBe(5);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const fresh = join(base, 'new-master');
    mkdirSync(fresh);
    writeFileSync(join(fresh, 'admin-token'), 'fresh\n');
    const result = await restoreStateDir(fresh, file);
    expect(result.files).toBe(5);
    expect(readFileSync(join(fresh, 'admin-token'), 'utf8')).toBe('secret-token-of-the-old-master\n');
    expect(statSync(join(fresh, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(fresh, 'sub', 'nested'), 'utf8')).toBe('n\n');
    expect(existsSync(join(fresh, 'daemon.json'))).toBe(false);
    // Nothing lost: the state dir it replaced is kept beside it.
    expect(readFileSync(join(result.movedAside!, 'admin-token'), 'utf8')).toBe('fresh\n');
  });

  it('restore is refused while a daemon holds the state dir, and changes nothing', async () => {
    const base = tmp();
    const old = stateDir(base);
    const file = join(base, 'backup.json');
    await backupStateDir(old, file);
    writeFileSync(join(old, 'admin-token'), 'current\n');
    const lock = lockStateDir(old, 2024);
    try {
      expect(await code(restoreStateDir(old, file))).toMatch(/^PIRACK_ERR_DAEMON_RUNNING: .*pid 2024/);
      expect(readFileSync(join(old, 'admin-token'), 'utf8')).toBe('current\n');
    } finally {
      lock.release();
    }
  });

  it('a file that is not a backup, or one with a path outside the state dir, is refused before anything is written', async () => {
    const base = tmp();
    const dir = stateDir(base);
    const notJson = join(base, 'x.json');
    writeFileSync(notJson, 'hello');
    expect(await code(restoreStateDir(dir, notJson))).toMatch(/^PIRACK_ERR_BACKUP: not a PiRack state backup/);
    const evil = join(base, 'evil.json');
    writeFileSync(
      evil,
      JSON.stringify({
        format: 'pirack-state-backup',
        version: 1,
        createdAt: 'x',
        files: [{ path: '../escape', mode: 420, base64: 'eA==' }],
      }),
    );
    expect(await code(restoreStateDir(dir, evil))).toMatch(/^PIRACK_ERR_BACKUP: the backup has a bad entry/);
    expect(existsSync(join(base, 'escape'))).toBe(false);
    expect(readFileSync(join(dir, 'admin-token'), 'utf8')).toBe('secret-token-of-the-old-master\n');
    expect(await code(restoreStateDir(dir, join(base, 'absent.json')))).toMatch(/^PIRACK_ERR_BACKUP: cannot read the backup/);
  });

  it('an empty or missing state dir has nothing to back up', async () => {
    const base = tmp();
    expect(await code(backupStateDir(join(base, 'none'), join(base, 'b.json')))).toMatch(/^PIRACK_ERR_BACKUP/);
    expect(existsSync(join(base, 'b.json'))).toBe(false);
  });
});
