import { describe, expect, it } from 'vitest';
import { createRelay } from '../../../src/relay/index.ts';
import type { RelayDriver } from '../../../src/relay/types.ts';
import type { RelaySpec, StackSpec } from '../../../src/model/desired.ts';

const spec = (driver: RelaySpec['driver']): RelaySpec => ({ driver, activeLow: true, staggerMs: 0 });
const stacks = [
  { id: 1, x: 1, y: 1, relayPin: 18, power: 'on', nodes: [] },
  { id: 2, x: 1, y: 2, power: 'on', nodes: [] },
] as unknown as StackSpec[];

describe('createRelay', () => {
  it('uses the lab driver given in deps and refuses lab without it', () => {
    const lab: RelayDriver = { name: 'lab', read: async () => 'on', set: async () => undefined, close: async () => undefined };
    expect(createRelay(spec('lab'), stacks, { lab: () => lab })).toBe(lab);
    expect(() => createRelay(spec('lab'), stacks)).toThrow(/virtual rack/);
  });

  it('GPIO drivers need a relayPin on every stack', () => {
    expect(() => createRelay(spec('onoff'), stacks)).toThrow(/relayPin on stack 2/);
    expect(() => createRelay(spec('gpiod'), stacks)).toThrow(/relayPin on stack 2/);
    expect(createRelay(spec('gpiod'), stacks.slice(0, 1)).name).toBe('gpiod');
  });

  it('manual needs a notifier', () => {
    expect(() => createRelay(spec('manual'), stacks)).toThrow(/notifier/);
    expect(createRelay(spec('manual'), stacks, { manual: { notify: () => undefined } }).name).toBe('manual');
  });
});
