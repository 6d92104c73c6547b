import { afterEach, describe, expect, it } from 'vitest';
import { createOnoffRelay, physicalLevel } from '../../../src/relay/onoff.ts';
import { FakeSysfs } from './fake-sysfs.ts';

let created: FakeSysfs | undefined;
afterEach(() => {
  created?.cleanup();
  created = undefined;
});

let fake: FakeSysfs = undefined as unknown as FakeSysfs;
function relay(activeLow = true) {
  fake = new FakeSysfs([{ name: 'gpiochip512', label: 'pinctrl-bcm2835', base: 512, ngpio: 58 }]);
  created = fake;
  return createOnoffRelay({
    pins: new Map([
      [1, 18],
      [2, 25],
    ]),
    activeLow,
    sysfsRoot: fake.root,
    backend: fake,
  });
}

describe('onoff relay', () => {
  it('maps the desired state to the physical level per polarity', () => {
    expect(physicalLevel('on', true)).toBe('low');
    expect(physicalLevel('off', true)).toBe('high');
    expect(physicalLevel('on', false)).toBe('high');
    expect(physicalLevel('off', false)).toBe('low');
  });

  it('start-up on a fresh line exports it as an input and never writes direction out or a value', async () => {
    const r = relay();
    expect(await r.read(1)).toBe('unknown');
    expect(fake.journal).toEqual(['export <- 530', 'gpio530/active_low <- 1']);
    expect(fake.journal.some((l) => /direction <- (out|high|low)|value/.test(l))).toBe(false);
  });

  it('a daemon restart reads an exported output and keeps its level (no direction or value write)', async () => {
    const r = relay();
    fake.preExport(530, 'out', 0, true); // active-low board, pin low: stack 1 ON
    fake.preExport(537, 'out', 1, true); // pin high: stack 2 OFF
    expect(await r.read(1)).toBe('on');
    expect(await r.read(2)).toBe('off');
    expect(fake.journal.filter((l) => !l.endsWith('active_low <- 1'))).toEqual([]);
    expect(fake.physical.get(530)).toBe(0);
    expect(fake.physical.get(537)).toBe(1);
  });

  it("set('on') on an active-low board switches the input to output with direction low", async () => {
    const r = relay(true);
    await r.read(1);
    fake.journal.length = 0;
    await r.set(1, 'on');
    expect(fake.journal).toEqual(['gpio530/direction <- low']);
    expect(fake.physical.get(530)).toBe(0);
    expect(await r.read(1)).toBe('on');
  });

  it("set('off') on an active-low board goes to output already high", async () => {
    const r = relay(true);
    await r.set(2, 'off');
    expect(fake.journal).toContain('gpio537/direction <- high');
    expect(fake.journal).not.toContain('gpio537/direction <- out');
    expect(await r.read(2)).toBe('off');
  });

  it('an active-high board: on is high', async () => {
    const r = relay(false);
    await r.set(1, 'on');
    expect(fake.journal).toContain('gpio530/direction <- high');
    expect(fake.physical.get(530)).toBe(1);
    expect(await r.read(1)).toBe('on');
  });

  it('switching an output writes the logical value and reads it back', async () => {
    const r = relay(true);
    fake.preExport(530, 'out', 1, true);
    await r.set(1, 'on');
    expect(fake.journal).toContain('gpio530/value <- 1');
    expect(fake.physical.get(530)).toBe(0);
    expect(await r.read(1)).toBe('on');
    await r.set(1, 'off');
    expect(await r.read(1)).toBe('off');
  });

  it('close never unexports', async () => {
    const r = relay();
    await r.set(1, 'on');
    await r.close();
    expect(fake.journal.some((l) => l.startsWith('unexport'))).toBe(false);
    expect(fake.exportedDirection(530)).toBe('out');
  });

  it('a stack without a pin is a RELAY error', async () => {
    const r = relay();
    await expect(r.set(9, 'on')).rejects.toMatchObject({ code: 'PIRACK_ERR_RELAY' });
  });

  it('refuses clearly when sysfs GPIO is not accessible, touching nothing', async () => {
    const r = relay();
    fake.accessible = () => false;
    await expect(r.read(1)).rejects.toMatchObject({ code: 'PIRACK_ERR_RELAY', message: expect.stringContaining('not writable') });
    expect(fake.journal).toEqual([]);
  });
});
