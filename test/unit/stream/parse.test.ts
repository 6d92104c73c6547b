import { describe, expect, it } from 'vitest';
import { parseSlaveLine } from '../../../src/stream/parse.ts';
import { watchSpecOf, sameWatches } from '../../../src/stream/spec.ts';
import { HEALTH, HELLO, heartbeat } from './fakes.ts';
import { nodeSpec } from '../../support/fixtures.ts';

const NODE_1 = nodeSpec();

describe('parseSlaveLine', () => {
  it('accepts each line of the protocol', () => {
    expect(parseSlaveLine(JSON.stringify(HELLO))).toEqual({
      ok: true,
      line: { type: 'hello', protocol: 1, slave: 'pirack-slave', node: 'v18.19.0', units: 'dbus' },
    });
    expect(parseSlaveLine(JSON.stringify(heartbeat(4)))).toEqual({ ok: true, line: { type: 'heartbeat', seq: 4, health: HEALTH } });
    expect(parseSlaveLine('{"type":"watching","revision":"r","problems":["x: gone"]}')).toEqual({
      ok: true,
      line: { type: 'watching', revision: 'r', problems: ['x: gone'] },
    });
    expect(parseSlaveLine('{"type":"change","what":"keys","detail":"/root/.ssh/authorized_keys","count":2}')).toEqual({
      ok: true,
      line: { type: 'change', what: 'keys', detail: '/root/.ssh/authorized_keys', count: 2 },
    });
  });

  it('keeps nulls where the Pi cannot tell', () => {
    const h = { ...HEALTH, temperatureC: null, throttled: null, diskFreeBytes: null, diskTotalBytes: null };
    expect(parseSlaveLine(JSON.stringify(heartbeat(1, h)))).toMatchObject({ ok: true, line: { health: h } });
  });

  it.each([
    ['', 'not JSON'],
    ['{"type":"hello"', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['null', 'not a JSON object'],
    ['"hello"', 'not a JSON object'],
    ['{"type":"bye"}', 'unknown line type "bye"'],
    ['{"type":"hello","protocol":"1","slave":"pirack-slave"}', 'hello without an integer protocol'],
    ['{"type":"hello","protocol":1,"slave":"other"}', 'hello from something that is not pirack-slave'],
    ['{"type":"heartbeat","seq":1}', 'heartbeat: health is not an object'],
    [JSON.stringify({ type: 'heartbeat', seq: 1, health: { ...HEALTH, load1: 'high' } }), 'heartbeat: health.load1 is not a number'],
    [
      JSON.stringify({ type: 'heartbeat', seq: 1, health: { ...HEALTH, temperatureC: '40' } }),
      'heartbeat: health.temperatureC is neither a number nor null',
    ],
    [
      JSON.stringify({ type: 'heartbeat', seq: 1, health: { ...HEALTH, cpuPercent: -1 } }),
      'heartbeat: health.cpuPercent -1 is outside 0-100',
    ],
    ['{"type":"change","what":"kernel","detail":"x"}', 'change of unknown kind "kernel"'],
    ['{"type":"change","what":"file"}', 'change without a detail'],
    ['{"type":"watching","revision":"r","problems":[1]}', 'watching without a list of problems'],
  ])('refuses %s', (text, why) => {
    expect(parseSlaveLine(text)).toEqual({ ok: false, why });
  });
});

describe('watchSpecOf', () => {
  it('takes the paths, the keys user, packages and units from the desired state', () => {
    const spec = watchSpecOf(NODE_1, 'abc');
    expect(spec).toEqual({
      revision: 'abc',
      files: NODE_1.files.map((f) => f.path),
      authorizedKeysUser: NODE_1.authorizedKeys.user,
      packages: NODE_1.packages.map((p) => p.name),
      units: NODE_1.services.map((s) => s.name),
    });
    expect(sameWatches(spec, { ...spec, revision: 'other', files: [...spec.files].reverse() })).toBe(true);
    expect(sameWatches(spec, { ...spec, units: [] })).toBe(false);
  });
});
