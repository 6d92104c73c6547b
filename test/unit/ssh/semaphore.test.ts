import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/ssh/semaphore.ts';

describe('Semaphore', () => {
  it('grants up to its size, then queues in order', async () => {
    const sem = new Semaphore(2);
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    expect(sem.inUse).toBe(2);
    const order: number[] = [];
    const w3 = sem.acquire().then((r) => (order.push(3), r));
    const w4 = sem.acquire().then((r) => (order.push(4), r));
    expect(sem.waiting).toBe(2);
    r1();
    r1(); // a second release of the same slot is ignored
    const r3 = await w3;
    expect(sem.inUse).toBe(2);
    expect(sem.waiting).toBe(1);
    r2();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(sem.inUse).toBe(0);
  });

  it('drops an aborted waiter without taking a slot', async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    const ac = new AbortController();
    const waiting = sem.acquire(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
    expect(sem.waiting).toBe(0);
    held();
    expect(sem.inUse).toBe(0);
    await expect(sem.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
  });

  it('fails every waiter when asked', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const w = sem.acquire();
    sem.failWaiters(new Error('gone'));
    await expect(w).rejects.toThrow('gone');
  });

  it('rejects a size below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
