import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualRelay, type ManualPowerRequest } from '../../../src/relay/manual.ts';
import { fileConfirmations, writeManualConfirmation } from '../../../src/relay/manual-confirm.ts';

// A virtual clock: sleep advances time instead of waiting.
function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      await Promise.resolve();
    },
  };
}

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('manual relay', () => {
  it('asks the operator and waits for confirm(); read() then reports the confirmed state', async () => {
    const requests: ManualPowerRequest[] = [];
    const relay = createManualRelay({
      notify: (r) => requests.push(r),
      pollMs: 10,
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    });
    expect(await relay.read(2)).toBe('unknown');
    const done = relay.set(2, 'on');
    await new Promise((r) => setTimeout(r, 1));
    expect(requests[0]?.message).toBe('switch stack 2 ON by hand, then confirm with `pirack power confirm 2` or on the dashboard');
    expect(relay.pending().map((p) => p.stack)).toEqual([2]);
    expect(relay.confirm(2, 'off')).toBe(false);
    expect(relay.confirm(2)).toBe(true);
    await done;
    expect(await relay.read(2)).toBe('on');
    expect(relay.pending()).toEqual([]);
  });

  it('gives up with a RELAY error at the deadline, never waiting forever', async () => {
    const c = clock();
    const relay = createManualRelay({ notify: () => undefined, timeoutMs: 5000, pollMs: 1000, ...c });
    await expect(relay.set(1, 'off')).rejects.toMatchObject({
      code: 'PIRACK_ERR_RELAY',
      message: expect.stringContaining('nobody confirmed'),
    });
    expect(await relay.read(1)).toBe('unknown');
  });

  it('is abortable', async () => {
    const relay = createManualRelay({ notify: () => undefined, pollMs: 10 });
    const ac = new AbortController();
    const p = relay.set(1, 'on', ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
  });

  it('accepts a confirmation file written by `pirack power confirm` in another process', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-manual-'));
    const c = clock();
    const relay = createManualRelay({ notify: () => undefined, checkExternal: fileConfirmations(dir), pollMs: 1000, ...c });
    await writeManualConfirmation(dir, 3);
    await relay.set(3, 'off');
    expect(await relay.read(3)).toBe('off');
    // Consumed: a second request needs a second confirmation.
    expect(await fileConfirmations(dir)(3, 'off')).toBe(false);
  });
});
