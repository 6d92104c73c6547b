import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRack } from '../../../src/config/load.ts';
import type { RawRack } from '../../../src/config/raw.ts';
import { baseRack, testOptions } from './fixtures.ts';

function problems(edit: (raw: RawRack) => void) {
  const raw = baseRack();
  edit(raw);
  const r = parseRack(stringify(raw), testOptions());
  return r.ok ? [] : r.problems;
}

function load(edit: (raw: RawRack) => void) {
  const raw = baseRack();
  edit(raw);
  const r = parseRack(stringify(raw), testOptions());
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.rack;
}

describe('hostnames, labels, webhooks and CORS in rack.yaml', () => {
  it('a duplicate hostname is refused where it is written, naming the first Pi', () => {
    const p = problems((raw) => {
      raw.stacks[0]!.pis[0]!.hostname = 'pi-a';
      raw.stacks[1]!.pis[0]!.hostname = 'pi-a';
    });
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/"pi-a" is already the hostname of Pi 1/);
    expect(p[0]!.line).toBeGreaterThan(0);
  });

  it('a webhook URL that is not http(s) is refused with the scheme and a hint', () => {
    const p = problems((raw) => {
      raw.alerts = {
        webhooks: { ops: { url: 'ftp://example.org/x', events: ['pi-lost'] }, bad: { url: 'not a url', events: ['pi-back'] } },
      };
    });
    expect(p.map((x) => x.message)).toEqual([
      expect.stringMatching(/alerts\.webhooks\.ops\.url "ftp:\/\/example\.org\/x" is not an http:\/\/ or https:\/\/ URL \(scheme ftp:\)/),
      expect.stringMatching(/"not a url" is not an http/),
    ]);
    expect(p[0]!.hint).toMatch(/HTTP POST/);
  });

  it('an unknown webhook event is refused by the schema', () => {
    const p = problems((raw) => {
      raw.alerts = { webhooks: { ops: { url: 'http://127.0.0.1:9/x', events: ['pi-exploded'] } } };
    });
    expect(p.length).toBeGreaterThan(0);
    expect(p[0]!.message).toMatch(/pi-lost/);
  });

  it('CORS "*" with credentials is refused; "*" alone and listed origins are fine', () => {
    const p = problems((raw) => {
      raw.http = { cors: { origins: ['*'], credentials: true } };
    });
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/holds "\*" while http\.cors\.credentials is true/);
    expect(load((raw) => (raw.http = { cors: { origins: ['*'] } })).http).toEqual({ cors: { origins: ['*'], credentials: false } });
    expect(problems((raw) => (raw.http = { cors: { origins: ['http://client.test:8000/'] } }))[0]?.message).toMatch(/origin/);
  });

  it('resolves webhooks with a default minimum interval and labels onto stacks and Pis', () => {
    const rack = load((raw) => {
      raw.alerts = {
        webhooks: {
          ops: { url: 'http://127.0.0.1:9/hook', events: ['pi-lost', 'pi-back'], minInterval: '10s' },
          other: { url: 'https://x.test/', events: ['quarantine'] },
        },
      };
      raw.stacks[1]!.labels = { role: 'spare' };
      raw.stacks[1]!.pis[0]!.labels = { role: 'worker' };
    });
    expect(rack.webhooks).toEqual([
      { name: 'ops', url: 'http://127.0.0.1:9/hook', events: ['pi-lost', 'pi-back'], minIntervalMs: 10_000 },
      { name: 'other', url: 'https://x.test/', events: ['quarantine'], minIntervalMs: 60_000 },
    ]);
    expect(rack.nodes.find((n) => n.id === 3)?.labels).toEqual({ role: 'worker' });
    expect(rack.nodes.find((n) => n.id === 1)?.labels).toBeUndefined();
  });
});
