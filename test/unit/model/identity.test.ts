import { describe, expect, it } from 'vitest';
import { keyIdentity, normalizeMode, sameMode } from '../../../src/model/identity.ts';

describe('the rules config and controllers share', () => {
  it('keyIdentity ignores options and comments, and says when a line is no key', () => {
    expect(keyIdentity('ssh-ed25519 AAAAC3Nza alice@laptop')).toBe('ssh-ed25519 AAAAC3Nza');
    expect(keyIdentity('from="10.0.0.1" ssh-rsa AAAAB3 bob')).toBe('ssh-rsa AAAAB3');
    expect(keyIdentity('# a comment')).toBeUndefined();
  });

  it('normalizeMode gives one form per mode, sameMode compares through it', () => {
    expect(['644', '0644', '00644'].map(normalizeMode)).toEqual(['0644', '0644', '0644']);
    expect(normalizeMode('4755')).toBe('4755');
    expect(normalizeMode('u+x')).toBe('u+x');
    expect(sameMode('600', '0600')).toBe(true);
    expect(sameMode(undefined, '0600')).toBe(false);
    expect(sameMode('640', '0644')).toBe(false);
  });
});
