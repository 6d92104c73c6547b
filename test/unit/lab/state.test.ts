import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLabRelay } from '../../../src/lab/relay.ts';
import { findPi, readState, updateState, withPi, writeState, type LabState } from '../../../src/lab/state.ts';
import { formatLabStatus, labStatus } from '../../../src/lab/status.ts';

let dir: string;
const state: LabState = {
  version: 1,
  createdAt: '2025-01-01T00:00:00.000Z',
  stacks: 2,
  perStack: 1,
  blankInventory: false,
  imageHash: 'abc',
  imageDir: '/img',
  repoDir: '/repo',
  pis: [
    { id: 1, stack: 1, mac: 'b8:27:eb:00:00:01', fixedIp: '10.213.0.11', netns: 'pirack-pi1', veth: 'prv1', root: '/r1', faults: {} },
    // A PID that is not running (start time does not match): the Pi counts as off.
    {
      id: 2,
      stack: 2,
      mac: 'b8:27:eb:00:00:02',
      fixedIp: '10.213.0.12',
      netns: 'pirack-pi2',
      veth: 'prv2',
      root: '/r2',
      init: { pid: 1, startTime: 'x' },
      faults: {},
    },
  ],
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pirack-lab-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lab state', () => {
  it('round-trips atomically and leaves no temp or lock file', async () => {
    expect(await readState(dir)).toBeUndefined();
    await writeState(dir, state);
    expect(await readState(dir)).toEqual(state);
    await updateState(dir, (s) => withPi(s, 2, (p) => ({ ...p, faults: { 'net-loss': { since: 'now' } } })));
    const after = await readState(dir);
    expect(findPi(after!, 2).faults['net-loss']).toEqual({ since: 'now' });
    expect(findPi(after!, 1).faults).toEqual({});
    expect((await readdir(dir)).sort()).toEqual(['state.json']);
  });

  it('serializes concurrent updates through the lock', async () => {
    await writeState(dir, state);
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        updateState(dir, (s) => withPi(s, 1, (p) => ({ ...p, faults: { ...p.faults, [`k${k}`]: { since: String(k) } } as never }))),
      ),
    );
    expect(Object.keys(findPi((await readState(dir))!, 1).faults)).toHaveLength(10);
  });

  it('reports an unknown Pi as a usage error', () => {
    expect(() => findPi(state, 9)).toThrow(/no Pi 9/);
  });

  it('lab relay reads a stack whose Pis are not running as off, an unknown stack as unknown', async () => {
    await writeState(dir, state);
    const relay = createLabRelay({ dir });
    expect(await relay.read(2)).toBe('off');
    expect(await relay.read(7)).toBe('unknown');
    await expect(relay.set(7, 'on')).rejects.toMatchObject({ code: 'PIRACK_ERR_RELAY' });
  });

  it('status lists each Pi; without a lab it says so', async () => {
    expect(formatLabStatus(await labStatus({ dir }))).toContain('no lab is up');
    await writeState(dir, state);
    const status = await labStatus({ dir });
    expect(status.pis.map((p) => [p.id, p.state])).toEqual([
      [1, 'off'],
      [2, 'off'],
    ]);
    expect(formatLabStatus(status)).toMatch(/2\s+2\s+off\s+b8:27:eb:00:00:02/);
  });
});
