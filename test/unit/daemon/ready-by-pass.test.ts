import { describe, expect, it } from 'vitest';
import { readyByPass } from '../../../src/daemon/reboot.ts';
import type { NodeSpec } from '../../../src/model/desired.ts';

const pi = { id: 3 } as NodeSpec;
const signal = new AbortController().signal;

describe('readyByPass: Ready is a pass of the Pi with nothing left to do', () => {
  it('asks for a pass of that Pi only and answers from what it left', async () => {
    const asked: (readonly number[])[] = [];
    const answers = [[{ remaining: [] }], [{ remaining: [1, 2] }], [{ remaining: [], error: { message: 'pi 3: unreachable' } }], []];
    const check = readyByPass(async (ids) => (asked.push(ids), answers.shift()!), 'still pending');
    expect(await check(pi, signal)).toEqual({ ready: true, reason: 'in sync' });
    expect(await check(pi, signal)).toEqual({ ready: false, reason: '2 change(s) still pending' });
    expect(await check(pi, signal)).toEqual({ ready: false, reason: 'pi 3: unreachable' });
    expect(await check(pi, signal)).toEqual({ ready: false, reason: 'no pass ran' });
    expect(asked).toEqual([[3], [3], [3], [3]]);
  });
});
