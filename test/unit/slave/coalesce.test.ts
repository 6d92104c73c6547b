import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../../src/slave/coalesce.ts';
import { FakeClock } from '../stream/fakes.ts';

describe('Coalescer', () => {
  it('sends the first event at once and folds the rest of a burst into one notice per window', async () => {
    const clock = new FakeClock();
    const out: Array<[string, number]> = [];
    const c = new Coalescer(500, (k, n) => out.push([k, n]), clock);
    c.note('a');
    expect(out).toEqual([['a', 1]]);
    // 1,000 events a second for two seconds.
    for (let ms = 0; ms < 2_000; ms += 1) {
      c.note('a');
      await clock.advance(1);
    }
    expect(out.length).toBeLessThanOrEqual(6);
    await clock.advance(1_000);
    expect(out.reduce((sum, [, n]) => sum + n, 0)).toBe(2_001);
    expect(c.size).toBe(0);
  });

  it('keeps keys apart and lets a quiet key speak at once again', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const c = new Coalescer(100, (k, n) => out.push(`${k}:${n}`), clock);
    c.note('a');
    c.note('b');
    c.note('a');
    expect(out).toEqual(['a:1', 'b:1']);
    await clock.advance(100);
    expect(out).toEqual(['a:1', 'b:1', 'a:1']);
    await clock.advance(200);
    c.note('b');
    expect(out).toEqual(['a:1', 'b:1', 'a:1', 'b:1']);
  });

  it('close drops pending windows', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const c = new Coalescer(100, (k) => out.push(k), clock);
    c.note('a');
    c.note('a');
    c.close();
    await clock.advance(1_000);
    expect(out).toEqual(['a']);
    expect(clock.pending()).toBe(0);
  });
});
