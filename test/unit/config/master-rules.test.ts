/** rack.yaml `master.aptProxy`: the schema's shape, the address rule, and what the loader makes of it. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRack } from '../../../src/config/load.ts';
import type { RawRack } from '../../../src/config/raw.ts';
import { baseRack, testOptions } from './fixtures.ts';

function withProxy(aptProxy: unknown) {
  const raw = baseRack() as Omit<RawRack, 'master'> & { master?: unknown };
  raw.master = { aptProxy };
  return parseRack(stringify(raw), testOptions());
}

function problems(aptProxy: unknown): string[] {
  const r = withProxy(aptProxy);
  return r.ok ? [] : r.problems.map((p) => `${p.path} ${p.message}`);
}

describe('master.aptProxy in rack.yaml', () => {
  it('is optional: a rack without it has no proxy on any Pi', () => {
    const r = parseRack(stringify(baseRack()), testOptions());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rack.master).toBeUndefined();
    expect(r.rack.nodes.every((n) => n.aptProxy === undefined)).toBe(true);
  });

  it.each(['http://10.0.0.11:3142', 'http://10.0.0.11:3142/', 'https://10.0.0.11', 'http://10.0.0.40:8080'])(
    'accepts %s and gives it to every Pi, without a trailing slash',
    (url) => {
      const r = withProxy(url);
      if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
      const expected = url.replace(/\/$/, '');
      expect(r.rack.master).toEqual({ aptProxy: expected });
      expect(r.rack.nodes.length).toBeGreaterThan(1);
      expect(new Set(r.rack.nodes.map((n) => n.aptProxy))).toEqual(new Set([expected]));
    },
  );

  it.each([
    ['a quote and a command', "http://10.0.0.11:3142'; reboot; '"],
    ['a double quote', 'http://10.0.0.11:3142"'],
    ['a space', 'http://10.0.0.11 :3142'],
    ['a newline', 'http://10.0.0.11:3142\nAcquire::http::Proxy::x DIRECT'],
    ['a semicolon', 'http://10.0.0.11:3142;reboot'],
    ['$(…)', 'http://$(reboot):3142'],
    ['a user and password', 'http://u:p@10.0.0.11:3142'],
    ['a path', 'http://10.0.0.11:3142/acng'],
    ['a host name', 'http://master.rack:3142'],
    ['another scheme', 'ftp://10.0.0.11:3142'],
    ['no scheme', '10.0.0.11:3142'],
    ['a number', 3142],
  ])('refuses %s where it is written, saying what is expected', (_what, url) => {
    const p = problems(url);
    expect(p.length).toBeGreaterThan(0);
    expect(p[0]).toMatch(/^\/master\/aptProxy .*http:\/\/ URL of an IPv4 address/);
  });

  it('refuses a master block with an unknown key', () => {
    const raw = baseRack() as Omit<RawRack, 'master'> & { master?: unknown };
    raw.master = { aptProxy: 'http://10.0.0.11:3142', ntp: '10.0.0.11' };
    const r = parseRack(stringify(raw), testOptions());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.message).join('\n')).toMatch(/ntp/);
  });

  it('refuses an address outside the rack network that is not the master, with a hint to the master', () => {
    const r = withProxy('http://192.168.1.5:3142');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/master\.aptProxy "http:\/\/192\.168\.1\.5:3142" is outside network\.subnet 10\.0\.0\.0\/24/);
    expect(r.problems[0]!.hint).toContain('http://10.0.0.11:3142');
    expect(r.problems[0]!.line).toBeGreaterThan(0);
  });

  it('accepts the master even when it is outside the subnet rule (the master is always reachable)', () => {
    expect(problems('http://10.0.0.11:3142')).toEqual([]);
  });

  it('refuses a port above 65535 and octets written with leading zeros', () => {
    expect(problems('http://10.0.0.11:70000')).toEqual([expect.stringMatching(/port 70000, outside 1–65535/)]);
    expect(problems('http://10.0.0.01:3142')).toEqual([expect.stringMatching(/not an IPv4 address in plain decimal/)]);
  });
});
