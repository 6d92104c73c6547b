import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createRefusalLog } from '../../../src/http/refusal-log.ts';

function capture(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (out.push(chunk.toString()), cb()) });
  return {
    log: pino(sink),
    lines: () =>
      out
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('refusal log', () => {
  it('logs the first refusal per address and window, then the count left out', () => {
    let t = 0;
    const { log, lines } = capture();
    const refusals = createRefusalLog(log, { windowMs: 1000, now: () => t });
    for (let i = 0; i < 5; i += 1) refusals.refused('10.0.0.1', { url: '/x' }, 'refused');
    refusals.refused('10.0.0.2', {}, 'refused');
    expect(lines().map((l) => l.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    t = 1000;
    refusals.refused('10.0.0.1', {}, 'refused');
    expect(lines()[2]).toMatchObject({ ip: '10.0.0.1', suppressed: 4 });
  });

  it('reports what is still counted on flush', () => {
    const { log, lines } = capture();
    const refusals = createRefusalLog(log, { now: () => 0 });
    refusals.refused('10.0.0.1', {}, 'refused');
    refusals.refused('10.0.0.1', {}, 'refused');
    refusals.flush();
    expect(lines()[1]).toMatchObject({ ip: '10.0.0.1', suppressed: 1 });
  });
});
