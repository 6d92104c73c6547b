import { describe, expect, it } from 'vitest';
import { labDir, labIp, labMac, netnsName, stackPis, vethName, MAX_PIS } from '../../../src/lab/paths.ts';

describe('lab names and addresses', () => {
  it('derives a stable Raspberry Pi MAC from the id', () => {
    expect(labMac(1)).toBe('b8:27:eb:00:00:01');
    expect(labMac(48)).toBe('b8:27:eb:00:00:30');
    expect(labMac(258)).toBe('b8:27:eb:00:01:02');
    expect(new Set(Array.from({ length: 500 }, (_, i) => labMac(i + 1))).size).toBe(500);
    expect(() => labMac(0)).toThrow(RangeError);
  });

  it('gives fixed addresses 10.213.0.(10+id) below the dynamic range', () => {
    expect(labIp(1)).toBe('10.213.0.11');
    expect(labIp(MAX_PIS)).toBe('10.213.0.99');
    expect(() => labIp(MAX_PIS + 1)).toThrow(RangeError);
  });

  it('numbers the Pis of a stack consecutively', () => {
    expect(stackPis(1, 2)).toEqual([1, 2]);
    expect(stackPis(3, 4)).toEqual([9, 10, 11, 12]);
  });

  it('uses the lab prefixes and fits interface names', () => {
    expect(netnsName(7)).toBe('pirack-pi7');
    expect(vethName(48)).toBe('prv48');
    expect(`${vethName(MAX_PIS)}p`.length).toBeLessThan(16);
  });

  it('lets PIRACK_LAB_DIR move the lab dir', () => {
    expect(labDir({})).toBe('/var/lib/pirack-lab');
    expect(labDir({ PIRACK_LAB_DIR: '/tmp/x' })).toBe('/tmp/x');
  });
});
