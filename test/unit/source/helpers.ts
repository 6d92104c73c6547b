/** Bounded waiting for sources' callbacks. */
import type { DesiredRevision } from '../../../src/source/types.ts';

export function collector() {
  const seen: DesiredRevision[] = [];
  const waiters: { pred: (r: DesiredRevision) => boolean; done: (r: DesiredRevision) => void }[] = [];
  const on = (r: DesiredRevision) => {
    seen.push(r);
    for (const w of [...waiters])
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done(r);
      }
  };
  /** Resolves with the first revision (already seen or to come) matching pred; rejects after ms. */
  const waitFor = (pred: (r: DesiredRevision) => boolean, ms = 1000): Promise<DesiredRevision> => {
    const hit = seen.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((done, fail) => {
      const w = { pred, done: (r: DesiredRevision) => (clearTimeout(t), done(r)) };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        fail(new Error(`no matching revision within ${ms} ms (saw ${seen.length})`));
      }, ms);
      waiters.push(w);
    });
  };
  return { seen, on, waitFor };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
