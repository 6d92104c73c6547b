import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../../src/util/memo.ts';
import { keyIdentity, normalizeMode } from '../../../src/model/identity.ts';

describe('boundedMemo', () => {
  it('computes each distinct input once, undefined results included', () => {
    const calls: string[] = [];
    const memo = boundedMemo((s) => {
      calls.push(s);
      return s.startsWith('k') ? s.toUpperCase() : undefined;
    });
    expect([memo('k1'), memo('x'), memo('k1'), memo('x')]).toEqual(['K1', undefined, 'K1', undefined]);
    expect(calls).toEqual(['k1', 'x']);
  });

  it('holds at most its limit: a flood of distinct inputs empties it and the answers stay right', () => {
    const calls: string[] = [];
    const memo = boundedMemo((s) => {
      calls.push(s);
      return s.length;
    }, 3);
    for (const s of ['a', 'bb', 'ccc']) memo(s);
    expect(memo('dddd')).toBe(4); // full: emptied, then holds dddd
    expect(memo('a')).toBe(1); // computed again after the clear
    expect(calls).toEqual(['a', 'bb', 'ccc', 'dddd', 'a']);
  });
});

describe('the memoised identity rules answer as the plain rules do', () => {
  it('keyIdentity: options and comments ignored, non-keys undefined, the same on a second call', () => {
    const line = 'from="10.0.0.1" ssh-ed25519 AAAAC3Nza daemon@master';
    for (let i = 0; i < 2; i++) {
      expect(keyIdentity(line)).toBe('ssh-ed25519 AAAAC3Nza');
      expect(keyIdentity('# a comment')).toBeUndefined();
    }
  });

  it('normalizeMode: short and long forms agree, junk is returned as is', () => {
    for (let i = 0; i < 2; i++) {
      expect(['644', '0644', '00644'].map(normalizeMode)).toEqual(['0644', '0644', '0644']);
      expect(normalizeMode('rw-r--r--')).toBe('rw-r--r--');
    }
  });
});
