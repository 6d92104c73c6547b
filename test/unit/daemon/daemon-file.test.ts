import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDaemonRecord, removeDaemonRecord, writeDaemonRecord } from '../../../src/daemon/daemon-file.ts';
import { lockStateDir } from '../../../src/daemon/state-lock.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pirack-daemonfile-'));
  dirs.push(d);
  return d;
};

describe('daemon.json: how the CLI finds the daemon of a state dir', () => {
  it('names a live daemon; removed on a clean stop by that daemon only', async () => {
    const dir = tmp();
    expect(await readDaemonRecord(dir)).toBeUndefined();
    const lock = lockStateDir(dir);
    await writeDaemonRecord(dir, { pid: process.pid, url: 'http://127.0.0.1:1/', startedAt: 'now' });
    expect((await readDaemonRecord(dir))?.pid).toBe(process.pid);
    await removeDaemonRecord(dir, process.pid + 1);
    expect(await readDaemonRecord(dir)).toBeDefined();
    await removeDaemonRecord(dir, process.pid);
    expect(await readDaemonRecord(dir)).toBeUndefined();
    lock.release();
  });

  it('a record whose pid is alive but holds no lock (a reused PID after a crash) is stale', async () => {
    const dir = tmp();
    // This test process is alive, as a reused PID would be, but holds no lock on the state dir.
    await writeDaemonRecord(dir, { pid: process.pid, url: 'http://127.0.0.1:1/', startedAt: 'then' });
    expect(await readDaemonRecord(dir)).toBeUndefined();
    // Another live holder of the lock does not make this record true either.
    const lock = lockStateDir(dir, process.pid + 1);
    expect(await readDaemonRecord(dir)).toBeUndefined();
    lock.release();
  });

  it('a record whose pid is gone (a crashed daemon) is stale: the CLI works on its own', async () => {
    const dir = tmp();
    await writeDaemonRecord(dir, { pid: 2 ** 22 + 12345, url: 'http://127.0.0.1:1/', startedAt: 'then' });
    expect(await readDaemonRecord(dir)).toBeUndefined();
    expect(await readDaemonRecord(dir, { checkAlive: false })).toBeDefined();
  });
});
