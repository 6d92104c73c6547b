import { describe, expect, it } from 'vitest';
import { labMac } from '../../../src/lab/paths.ts';
import { setMacArgs, swappedMac } from '../../../src/lab/swap.ts';

describe('lab swap', () => {
  it('gives the slot the next MAC: the fourth byte counts swaps, the slot bytes stay', () => {
    expect(labMac(3)).toBe('b8:27:eb:00:00:03');
    expect(swappedMac(labMac(3))).toBe('b8:27:eb:01:00:03');
    expect(swappedMac('B8:27:EB:01:00:03')).toBe('b8:27:eb:02:00:03');
    // After 255 swaps it wraps to 1, never back to the original's 00.
    expect(swappedMac('b8:27:eb:ff:00:03')).toBe('b8:27:eb:01:00:03');
  });

  it('refuses what is not a MAC', () => {
    expect(() => swappedMac('b8:27:eb:00:03')).toThrow(/not a MAC/);
    expect(() => swappedMac('zz:27:eb:00:00:03')).toThrow(/not a MAC/);
  });

  it('sets the MAC on eth0 inside the Pi namespace', () => {
    expect(setMacArgs('pirack-pi3', 'b8:27:eb:01:00:03')).toEqual([
      '-n',
      'pirack-pi3',
      'link',
      'set',
      'eth0',
      'address',
      'b8:27:eb:01:00:03',
    ]);
  });
});
