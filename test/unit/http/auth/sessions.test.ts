import { describe, expect, it } from 'vitest';
import { tokensEqual } from '../../../../src/http/auth/compare.ts';
import { createSessionStore } from '../../../../src/http/auth/sessions.ts';

describe('createSessionStore', () => {
  it('accepts a session until it expires, then forgets it', () => {
    let now = 1000;
    const store = createSessionStore({ ttlMs: 500, now: () => now });
    const { id, expiresAt } = store.create();
    expect(expiresAt).toBe(1500);
    expect(store.isValid(id)).toBe(true);
    now = 1499;
    expect(store.isValid(id)).toBe(true);
    now = 1500;
    expect(store.isValid(id)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('revokes a session and never accepts unknown ids', () => {
    const store = createSessionStore({ ttlMs: 60_000 });
    const { id } = store.create();
    expect(store.isValid(`${id}x`)).toBe(false);
    store.revoke(id);
    expect(store.isValid(id)).toBe(false);
  });

  it('drops the oldest sessions beyond the cap', () => {
    const store = createSessionStore({ ttlMs: 60_000, maxSessions: 2 });
    const a = store.create();
    const b = store.create();
    const c = store.create();
    expect([store.isValid(a.id), store.isValid(b.id), store.isValid(c.id)]).toEqual([false, true, true]);
  });
});

describe('tokensEqual', () => {
  it('compares whole tokens, whatever their lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'abc')).toBe(false);
  });
});
