import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bindingsPath,
  effectiveMacs,
  hostEntries,
  readBindings,
  releaseBinding,
  unboundByStack,
  writeBindings,
} from '../../../src/dhcp/bindings.ts';
import { makeRack } from './rack-fixture.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pirack-bind-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = '2026-01-01T00:00:00.000Z';

describe('MAC bindings', () => {
  it('survive a reload (written to bindings.json, read back equal)', async () => {
    expect(await readBindings(dir)).toEqual({});
    await writeBindings(
      dir,
      { 3: { mac: 'b8:27:eb:00:00:03', stack: 1, boundAt: at }, 1: { mac: 'b8:27:eb:00:00:01', stack: 1, boundAt: at } },
      { noSync: true },
    );
    const back = await readBindings(dir);
    expect(back[1]?.mac).toBe('b8:27:eb:00:00:01');
    expect(Object.keys(JSON.parse(readFileSync(bindingsPath(dir), 'utf8')).bindings)).toEqual(['1', '3']);
  });

  it('a corrupt file is a STATE error, not an empty inventory', async () => {
    writeFileSync(bindingsPath(dir), '{not json');
    await expect(readBindings(dir)).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE' });
  });

  it('release removes one binding so the Pi is enlisted again', async () => {
    await writeBindings(
      dir,
      { 1: { mac: 'b8:27:eb:00:00:01', stack: 1, boundAt: at }, 2: { mac: 'b8:27:eb:00:00:02', stack: 1, boundAt: at } },
      { noSync: true },
    );
    expect(await releaseBinding(dir, 2, { noSync: true })).toBe('b8:27:eb:00:00:02');
    expect(await releaseBinding(dir, 2, { noSync: true })).toBeUndefined();
    const rack = makeRack([{ id: 1, pis: [1, 2] }]);
    expect(unboundByStack(rack, await readBindings(dir))).toEqual(new Map([[1, [2]]]));
  });

  it('a MAC pinned in rack.yaml wins over a binding, on its node and on others', () => {
    const rack = makeRack([{ id: 1, pis: [{ id: 1, mac: 'B8:27:EB:AA:AA:01' }, 2, 3] }]);
    const bindings = {
      1: { mac: 'b8:27:eb:00:00:01', stack: 1, boundAt: at },
      2: { mac: 'b8:27:eb:aa:aa:01', stack: 1, boundAt: at },
      3: { mac: 'b8:27:eb:00:00:03', stack: 1, boundAt: at },
    };
    expect(effectiveMacs(rack, bindings)).toEqual(
      new Map([
        [1, 'b8:27:eb:aa:aa:01'],
        [3, 'b8:27:eb:00:00:03'],
      ]),
    );
    expect(unboundByStack(rack, bindings)).toEqual(new Map([[1, [2]]]));
    expect(hostEntries(rack, bindings).map((e) => e.node)).toEqual([1, 3]);
  });
});

describe('macView', () => {
  it('is worked out once per rack.yaml and bindings, and again for new bindings', async () => {
    const { macView } = await import('../../../src/dhcp/bindings.ts');
    const rack = makeRack([{ id: 1, pis: [1, { id: 2, mac: 'b8:27:eb:00:00:02' }] }]);
    const none = {};
    const first = macView(rack, none);
    expect(macView(rack, none)).toBe(first);
    expect(first.entries).toEqual(hostEntries(rack, none));
    expect([...first.unbound]).toEqual([[1, [1]]]);
    const bound = { 1: { mac: 'b8:27:eb:00:00:99', stack: 1, boundAt: at } };
    const second = macView(rack, bound);
    expect(second).not.toBe(first);
    expect(second.macs.get(1)).toBe('b8:27:eb:00:00:99');
    expect(second.unbound.size).toBe(0);
    expect(second.entries).toEqual(hostEntries(rack, bound));
  });
});
