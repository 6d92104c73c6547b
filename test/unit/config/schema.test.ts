import { describe, expect, it } from 'vitest';
import { checkSchema } from '../../../src/config/schema.ts';
import { baseRack } from './fixtures.ts';

function messages(mutate: (r: Record<string, any>) => void): string[] {
  const r = baseRack() as unknown as Record<string, any>;
  mutate(r);
  return checkSchema(r).map((p) => p.message);
}

describe('schema messages', () => {
  it('accepts the base rack', () => {
    expect(checkSchema(baseRack())).toEqual([]);
  });

  it('file entries need exactly one of content and source', () => {
    expect(messages((r) => (r.defaults.files = [{ path: '/a', content: 'x', source: 'y' }, { path: '/b' }]))).toEqual([
      'defaults.files[0] has both content and source',
      'defaults.files[1] has neither content nor source',
    ]);
  });

  it('an unquoted mode gets a hint about quoting', () => {
    const r = baseRack() as unknown as Record<string, any>;
    r.defaults.files[0].mode = 644;
    const [p] = checkSchema(r);
    expect(p?.message).toBe('defaults.files[0].mode 644 is not an octal mode in quotes, e.g. "0644"');
    expect(p?.hint).toContain('quotes');
  });

  it('patterns for packages, units, modes, MACs, durations; ranges; enums', () => {
    expect(
      messages((r) => {
        r.defaults.packages = [{ name: 'lib_foo' }, { name: 'ok-pkg+1.0' }];
        r.defaults.services = [{ name: 'pirack slave.service' }, { name: 'a@b.timer' }];
        r.defaults.files[0].mode = '0888';
        r.stacks[0].pis[0].mac = 'b8-27-eb-00-00-01';
        r.ssh = { execTimeout: '10 min', maxSessionsPerConnection: 10, port: 22 };
        r.relay.driver = 'relayboard';
      }),
    ).toEqual([
      'ssh.execTimeout "10 min" is not a duration such as 500ms, 10s, 5m, 1h, or a number of seconds',
      "ssh.maxSessionsPerConnection 10 is out of range: it must be an integer from 1 to 9 (OpenSSH's MaxSessions is 10)",
      'relay.driver "relayboard" is not one of onoff, gpiod, lab, manual',
      'defaults.packages[0].name "lib_foo" is not a Debian package name (lowercase letters, digits, + . -; at least 2 characters)',
      'defaults.files[0].mode "0888" is not an octal mode in quotes, e.g. "0644"',
      'defaults.services[0].name "pirack slave.service" is not a systemd unit name such as pirack-slave.service',
      'stacks[0].pis[0].mac "b8-27-eb-00-00-01" is not a MAC address like b8:27:eb:12:34:56',
    ]);
  });

  it('durations may be plain numbers of seconds', () => {
    expect(messages((r) => (r.ssh = { connectTimeout: 2.5 }))).toEqual([]);
  });

  it('unknown keys point at the key and suggest the closest allowed one', () => {
    const r = baseRack() as unknown as Record<string, any>;
    r.stacks[0].relaypin = 3;
    const [p] = checkSchema(r);
    expect(p).toMatchObject({ segments: ['stacks', '0', 'relaypin'], atKey: true, message: 'stacks[0] has an unknown key "relaypin"' });
    expect(p?.hint).toContain('Did you mean "relayPin"?');
  });

  it('a Pi override naming an unknown key says what overrides may hold', () => {
    expect(messages((r) => (r.stacks[0].pis[0].overrides = { actions: {} }))).toEqual([
      'stacks[0].pis[0].overrides has an unknown key "actions" (overrides of packages, files, services or authorizedKeys only)',
    ]);
  });

  it('action names are checked as keys', () => {
    const r = baseRack() as unknown as Record<string, any>;
    r.actions = { 'bad name': { command: 'x' }, ok: { command: 'y' } };
    const problems = checkSchema(r);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ segments: ['actions', 'bad name'], atKey: true });
    expect(problems[0]?.message).toContain('has a key "bad name" that is not an action name');
  });

  it('missing required keys name the key to add', () => {
    expect(messages((r) => delete r.network.dhcp)).toEqual(['network is missing "dhcp"']);
  });
});
