/**
 * What a field can be: paths, ids, durations, names (issue 11). Each test names the finding it
 * reproduces; before the fix every one of these inputs passed `pirack validate`.
 */
import type { PackagesFacts } from '../../../src/model/observed.ts';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRack } from '../../../src/config/load.ts';
import type { RawRack } from '../../../src/config/raw.ts';
import { packagesController } from '../../../controllers/packages.ts';
import { servicesController } from '../../../controllers/services.ts';
import { filesController } from '../../../controllers/files.ts';
import { actionCommand } from '../../../src/daemon/actions.ts';
import { parseProbe, buildProbeScript } from '../../../src/probe/probe.ts';
import { nodeControllers } from '../../../controllers/index.ts';
import { baseRack, testOptions } from './fixtures.ts';
import { blankFacts, NOW, nodeSpec, policies } from '../../support/fixtures.ts';

function messages(edit: (r: RawRack) => void, text?: (yaml: string) => string): string[] {
  const raw = baseRack();
  edit(raw);
  const yaml = text ? text(stringify(raw)) : stringify(raw);
  const r = parseRack(yaml, testOptions());
  return r.ok ? [] : r.problems.map((p) => p.message);
}

describe('file paths', () => {
  const MOTD = { path: '/etc/motd', content: 'hi\n' };

  it('accepts the reported injection path as the file name it is: quoting makes it harmless (test/unit/remote/hostile-scripts.test.ts)', () => {
    expect(messages((r) => (r.defaults!.files = [MOTD, { path: '/x"; }; touch /tmp/PWNED; { echo "', content: 'x' }]))).toEqual([]);
  });

  it("refuses a newline in a path, which could fake the probe's section markers", () => {
    const out = messages((r) => (r.defaults!.files = [MOTD, { path: '/etc/x\n@@pirack:end', content: 'x' }]));
    expect(out).toEqual([expect.stringMatching(/^defaults\.files\[1\]\.path .* is not a file path on one line/)]);
  });

  it('refuses NUL in a path, a service restart target and a source', () => {
    const out = messages((r) => {
      r.defaults!.files = [
        { path: '/etc/a\0b', content: 'x' },
        { path: '/etc/motd', source: 'a\0b' },
        { path: '/etc/m2', content: 'x' },
      ];
      r.defaults!.services = [{ name: 'x.service', restartOnChangeOf: ['/etc/motd', '/etc/m2\0'] }];
    });
    expect(out.filter((m) => /on one line|is not a path relative/.test(m))).toHaveLength(3);
    expect(out.filter((m) => /on one line|is not a path relative/.test(m)).map((m) => m.split(' ')[0])).toEqual([
      'defaults.files[0].path',
      'defaults.files[1].source',
      'defaults.services[0].restartOnChangeOf[1]',
    ]);
  });

  it('refuses paths that are not normalised, and says the normal form', () => {
    const raw = baseRack();
    raw.defaults!.files = [
      { path: '/etc//motd', content: 'a' },
      { path: '/etc/x/../motd2', content: 'b' },
      { path: '/etc/dir/', content: 'c' },
      { path: '/', content: 'd' },
    ];
    raw.defaults!.services = [];
    const r = parseRack(stringify(raw), testOptions());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.message, p.hint])).toEqual([
      ['defaults.files[0].path "/etc//motd" is not a normalised path to a file', 'Write /etc/motd (no //, /./, /../ or trailing /).'],
      ['defaults.files[1].path "/etc/x/../motd2" is not a normalised path to a file', 'Write /etc/motd2 (no //, /./, /../ or trailing /).'],
      ['defaults.files[2].path "/etc/dir/" is not a normalised path to a file', 'Write /etc/dir (no //, /./, /../ or trailing /).'],
      ['defaults.files[3].path "/" is not a normalised path to a file', 'Name a file, not the root directory.'],
    ]);
  });

  it('bounds the length of a path', () => {
    const out = messages((r) => (r.defaults!.files = [MOTD, { path: `/${'a/'.repeat(2100)}b`, content: 'x' }]));
    expect(out).toEqual([
      'defaults.files[1].path is too long: at most 4096 characters (a file path on one line (at most 4096 characters))',
    ]);
  });

  it('refuses a DHCP file path that is relative or not normalised', () => {
    const out = messages((r) => (r.network.dhcp.hostsFile = '/etc/pirack/../x'));
    expect(out).toEqual([expect.stringMatching(/^network\.dhcp\.hostsFile "\/etc\/pirack\/\.\.\/x" is not an absolute, normalised path/)]);
  });

  it('a path with a newline cannot fake a probe section: a repeated marker rejects the observation', () => {
    const node = nodeSpec();
    const script = buildProbeScript(node, nodeControllers);
    expect(script).toContain('@@pirack:end');
    const forged = [
      '@@pirack:system',
      'uptime 1',
      'load 0',
      'memtotal 1',
      'memavail 1',
      'now 1',
      '@@pirack:authorizedKeys',
      '@@pirack:packages',
      '@@pirack:files',
      'missing /etc/x',
      '@@pirack:end',
      '@@pirack:services',
      '@@pirack:hostname',
      '@@pirack:end',
      '',
    ].join('\n');
    expect(() => parseProbe(forged, node, nodeControllers)).toThrow(/repeats section\(s\) end/);
  });
});

describe('ids and numbers', () => {
  it('refuses 1e300 as a Pi or stack id', () => {
    const out = messages(
      (r) => r,
      (yaml) => yaml.replace('- id: 1\n', '- id: 1e300\n').replace('id: 3\n', 'id: 1e300\n'),
    );
    expect(out).toContain('stacks[0].id 1e+300 is out of range: it must be at most 9999');
    expect(out).toContain('stacks[1].pis[0].id 1e+300 is out of range: it must be at most 9999');
  });

  it('bounds the grid', () => {
    expect(messages((r) => (r.grid.rows = 1e6))).toEqual(['grid.rows 1000000 is out of range: it must be at most 100']);
  });
});

describe('durations', () => {
  it("refuses 1000h for resyncInterval (Node's timers overflow and fire after 1 ms), naming the range", () => {
    expect(messages((r) => (r.policies = { resyncInterval: '1000h' }))).toEqual([
      'policies.resyncInterval "1000h" is out of range: it must be from 2s to 24h',
    ]);
  });

  it('refuses a 1000h minOff, execTimeout and backoff.max, and 0s where 0 would turn a safety delay off', () => {
    const out = messages((r) => {
      r.ssh = { execTimeout: '1000h' };
      r.policies = { powerCycle: { minOff: '1000h' }, backoff: { max: '1000h' }, resyncInterval: '0s' };
    });
    expect(out.sort()).toEqual([
      'policies.backoff.max "1000h" is out of range: it must be from 1s to 24h',
      'policies.powerCycle.minOff "1000h" is out of range: it must be from 1s to 10m',
      'policies.resyncInterval "0s" is out of range: it must be from 2s to 24h (0 would turn it off, which this setting does not allow)',
      'ssh.execTimeout "1000h" is out of range: it must be from 1s to 24h',
    ]);
  });

  it("accepts 0s for relay.stagger (switch together) and the lab's and the tests' short values", () => {
    expect(
      messages((r) => {
        r.relay.stagger = '0s';
        r.ssh = { connectTimeout: '500ms', execTimeout: 90 };
        r.policies = {
          resyncInterval: '2s',
          dpkgLockTimeout: '2s',
          enlistWindow: '15s',
          backoff: { base: '1s', max: '4s' },
          powerCycle: { enabled: true, afterUnreachable: '10s', maxCyclesPerHour: 1, minOff: '2s' },
        };
      }),
    ).toEqual([]);
  });

  it("refuses every maximum at or past Node's timer limit (about 24.8 days), also as a number of seconds", () => {
    expect(messages((r) => (r.policies = { aptListsMaxAge: 2_147_484 }))).toEqual([
      'policies.aptListsMaxAge 2147484 is out of range: it must be from 1m to 336h',
    ]);
  });

  it('refuses a backoff base longer than its max', () => {
    expect(messages((r) => (r.policies = { backoff: { base: '5m', max: '1m' } }))).toEqual([
      'policies.backoff.base 5m is longer than policies.backoff.max 1m',
    ]);
  });
});

describe('names', () => {
  it('refuses a unit name with two @ or a package name past 128 characters', () => {
    const out = messages((r) => {
      r.defaults!.services = [{ name: 'a@b@c.service' }];
      r.defaults!.packages = [{ name: `b${'c'.repeat(200)}` }];
    });
    expect(out).toHaveLength(2);
  });

  it('a package named constructor is valid and plans an install instead of crashing', () => {
    expect(messages((r) => (r.defaults!.packages = [{ name: 'constructor' }, { name: 'tostring' }]))).toEqual([]);
    const node = nodeSpec({
      packages: [
        { name: 'constructor', state: 'present' },
        { name: '__proto__', state: 'absent' },
        { name: 'hasownproperty', state: 'present' },
      ],
    });
    const facts = blankFacts();
    expect(packagesController.plan(node, facts, [], NOW, policies)).toEqual([
      { kind: 'pkg-install', node: 7, pkgs: ['constructor', 'hasownproperty'], updateLists: true },
    ]);
  });

  it('probe output naming prototype keys builds own entries, not the prototype', () => {
    const node = nodeSpec();
    const pk = packagesController.observe.parse('pkg __proto__ ii 1.0\npkg constructor ii 2.0\n', node) as PackagesFacts;
    expect(Object.getPrototypeOf(pk.byName)).toBe(Object.prototype);
    expect(Object.keys(pk.byName)).toEqual(['__proto__', 'constructor']);
    const sv = servicesController.observe.parse('unit __proto__ enabled active no\n', node);
    expect(Object.keys(sv)).toEqual(['__proto__']);
    expect(Object.keys(filesController.observe.parse('missing __proto__\n', node))).toEqual(['__proto__']);
  });

  it("an action named constructor is unknown rather than Object's constructor", () => {
    const raw = baseRack();
    const r = parseRack(stringify(raw), testOptions());
    if (!r.ok) throw new Error('base rack invalid');
    expect(actionCommand(r.rack, 'constructor')).toBeUndefined();
    expect(actionCommand(r.rack, '__proto__')).toBeUndefined();
    expect(actionCommand(r.rack, 'ping')).toBe('echo pong');
  });
});
