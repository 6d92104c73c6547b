import { afterEach, describe, expect, it } from 'vitest';
import { findGpioChip, listGpioChips, pickChip, sysfsNumber } from '../../../src/relay/chip.ts';
import { isPiRackError } from '../../../src/errors.ts';
import { FakeSysfs } from './fake-sysfs.ts';

let fake: FakeSysfs | undefined;
afterEach(() => fake?.cleanup());

describe('gpiochip base lookup', () => {
  it('finds the bcm2835 chip at base 512 (kernel 6.6, Pi 4 and earlier), not the expander', async () => {
    fake = new FakeSysfs([
      { name: 'gpiochip512', label: 'pinctrl-bcm2835', base: 512, ngpio: 58 },
      { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
    ]);
    const chip = await findGpioChip({ sysfsRoot: fake.root });
    expect(chip).toMatchObject({ name: 'gpiochip512', base: 512 });
    expect(sysfsNumber(chip, 18)).toBe(530);
  });

  it('finds the rp1 chip at base 571 (Pi 5) among others', async () => {
    fake = new FakeSysfs([
      { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
    ]);
    const chip = await findGpioChip({ sysfsRoot: fake.root });
    expect(chip.base).toBe(571);
    expect(sysfsNumber(chip, 25)).toBe(596);
  });

  it('honours a configured label and still reads base 0 on old kernels', async () => {
    fake = new FakeSysfs([
      { name: 'gpiochip0', label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
      { name: 'gpiochip504', label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 },
    ]);
    expect((await findGpioChip({ sysfsRoot: fake.root, chipLabel: 'raspberrypi-exp-gpio' })).base).toBe(504);
    expect((await findGpioChip({ sysfsRoot: fake.root })).base).toBe(0);
  });

  it('names the labels it found when none matches', async () => {
    fake = new FakeSysfs([{ name: 'gpiochip0', label: 'something-else', base: 0 }]);
    const chips = await listGpioChips(fake.root);
    try {
      pickChip(chips, 'pinctrl-rp1');
      expect.unreachable();
    } catch (e) {
      expect(isPiRackError(e) && e.code).toBe('PIRACK_ERR_RELAY');
      expect((e as Error).message).toContain('gpiochip0 [something-else] base 0');
    }
  });

  it('refuses a line beyond the chip', () => {
    expect(() => sysfsNumber({ name: 'gpiochip512', label: 'x', base: 512, ngpio: 58 }, 60)).toThrow(/beyond/);
  });

  it('reports a kernel without sysfs GPIO', async () => {
    await expect(listGpioChips('/nonexistent-sysfs-root')).rejects.toThrow(/gpiod/);
  });
});
