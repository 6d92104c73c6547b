import { describe, expect, it } from 'vitest';
import { createFailureLimiter } from '../../../../src/http/auth/failure-limit.ts';

describe('failure limiter', () => {
  it('limits an address after max failures within the window, and forgets them after it', () => {
    let t = 0;
    const limiter = createFailureLimiter({ max: 2, windowMs: 1000, now: () => t });
    expect(limiter.limited('a')).toBe(false);
    limiter.fail('a');
    limiter.fail('a');
    expect(limiter.limited('a')).toBe(true);
    expect(limiter.limited('b')).toBe(false);
    t = 1000;
    expect(limiter.limited('a')).toBe(false);
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    const limiter = createFailureLimiter({ max: 1, windowMs: 60_000, maxAddresses: 2, now: () => 0 });
    for (const a of ['a', 'b', 'c']) limiter.fail(a);
    expect(['a', 'b', 'c'].map((a) => limiter.limited(a))).toEqual([false, true, true]);
  });
});
