import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRack, parseRack } from '../../../src/config/load.ts';
import { isPiRackError } from '../../../src/errors.ts';
import { sha256Hex } from '../../../src/config/revision.ts';
import { baseRack, FAKE_KEY, testOptions } from './fixtures.ts';

const REPO_RACK = new URL('../../../rack.yaml', import.meta.url);

function problemsOf(text: string, extra = {}) {
  const r = parseRack(text, testOptions(extra));
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('the committed rack.yaml', () => {
  it('loads: 4 stacks of 12 on a 2×2 grid, the original pins, fixed IPs from .70', async () => {
    const text = await readFile(REPO_RACK, 'utf8');
    const r = parseRack(text, testOptions());
    if (!r.ok) throw new Error(r.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'));
    const rack = r.rack;
    expect(rack.stacks.map((s) => [s.id, s.x, s.y, s.relayPin, s.nodes.length])).toEqual([
      [1, 1, 1, 18, 12],
      [2, 1, 2, 25, 12],
      [3, 2, 1, 12, 12],
      [4, 2, 2, 21, 12],
    ]);
    expect(rack.nodes).toHaveLength(48);
    expect(rack.nodes[0]?.ip).toBe('192.168.23.70');
    expect(rack.nodes[47]?.ip).toBe('192.168.23.117');
    expect(rack.relay).toMatchObject({ driver: 'onoff', activeLow: true });
    expect(rack.network).toMatchObject({ subnet: '192.168.23.0/24', master: '192.168.23.11', gateway: '192.168.23.1' });
    expect(rack.nodes[5]?.packages.map((p) => p.name)).toEqual(['bc', 'nodejs']);
    expect(rack.nodes[5]?.files.map((f) => f.path)).toEqual([
      '/usr/local/lib/pirack/pirack-slave.js',
      '/etc/systemd/system/pirack-slave.service',
    ]);
    expect(rack.nodes[5]?.files[0]?.content).toBe('// slave\n');
    expect(rack.nodes[5]?.services[0]?.name).toBe('pirack-slave.service');
    expect(rack.actions.map((a) => a.name)).toEqual(['cpu', 'temperature', 'ping']);
    expect(rack.ssh.bootstrap?.passwordFile).toBe('/nonexistent/rack/secrets/bootstrap-password');
  });
});

describe('parseRack', () => {
  it('resolves durations, defaults, file hashes, the daemon key and the revision, then freezes', () => {
    const text = stringify({
      ...baseRack(),
      ssh: { connectTimeout: '500ms', execTimeout: 90, keyFile: 'keys/id' },
      policies: { dpkgLockTimeout: '2m' },
    });
    let keyPath = '';
    const r = parseRack(text, testOptions({ readPublicKey: (p: string) => ((keyPath = p), FAKE_KEY) }));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { rack } = r;
    expect(keyPath).toBe('/nonexistent/rack/keys/id.pub');
    expect(rack.ssh).toMatchObject({
      connectTimeoutMs: 500,
      execTimeoutMs: 90_000,
      keepaliveIntervalMs: 15_000,
      port: 22,
      user: 'root',
      maxSessionsPerConnection: 4,
    });
    expect(rack.policies.dpkgLockTimeoutSeconds).toBe(120);
    expect(rack.policies.backoffMaxMs).toBe(300_000);
    expect(rack.relay.staggerMs).toBe(2000);
    expect(rack.network.dhcp.hostsFile).toBe('/etc/pirack/dhcp-hosts');
    const node = rack.nodes[0]!;
    expect(node.authorizedKeys).toEqual({ user: 'root', keys: [FAKE_KEY], exclusive: false });
    expect(node.files[0]).toEqual({
      path: '/etc/motd',
      content: 'hi\n',
      sha256: sha256Hex('hi\n'),
      owner: 'root',
      group: 'root',
      mode: '0644',
    });
    expect(node.services[0]).toEqual({ name: 'x.service', enabled: true, running: true, restartOnChangeOf: ['/etc/motd'] });
    expect(rack.stacks[0]?.power).toBe('on');
    expect(rack.revision).toBe(`sha256:${sha256Hex(text).slice(0, 12)}`);
    expect(Object.isFrozen(rack)).toBe(true);
    expect(Object.isFrozen(node.files[0])).toBe(true);
    expect(Object.isFrozen(rack.nodes)).toBe(true);
  });

  it('a Pi override replaces the default list of that key entirely, and only that key', () => {
    const raw = baseRack();
    raw.stacks[0]!.pis[0]!.overrides = {
      packages: [{ name: 'htop' }],
      authorizedKeys: { keys: ['ssh-rsa AAAAB3Nza extra'], exclusive: true },
    };
    const r = parseRack(stringify(raw), testOptions());
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const [a, b] = r.rack.nodes;
    expect(a?.packages).toEqual([{ name: 'htop', state: 'present' }]);
    expect(a?.authorizedKeys).toEqual({ user: 'root', keys: [FAKE_KEY, 'ssh-rsa AAAAB3Nza extra'], exclusive: true });
    expect(a?.files).toEqual(b?.files);
    expect(b?.packages).toEqual([{ name: 'bc', state: 'present' }]);
    expect(b?.mac).toBe('b8:27:eb:00:00:02');
  });

  it('does not list the daemon key twice when it is also declared', () => {
    const raw = baseRack();
    raw.defaults!.authorizedKeys = { keys: [FAKE_KEY.replace('pirack@master', 'other comment'), 'ssh-rsa AAAAB3Nza x'] };
    const r = parseRack(stringify(raw), testOptions());
    expect(r.ok && r.rack.nodes[0]?.authorizedKeys.keys).toEqual([FAKE_KEY, 'ssh-rsa AAAAB3Nza x']);
  });

  it('reads relative sources from the rack.yaml folder', () => {
    const raw = baseRack();
    raw.defaults!.files = [{ path: '/etc/a', source: 'files/a.conf', mode: '600' }];
    raw.defaults!.services = [];
    const r = parseRack(stringify(raw), testOptions({ readFile: (p: string) => `read ${p}` }));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.rack.nodes[0]?.files[0]).toMatchObject({ content: 'read /nonexistent/rack/files/a.conf', mode: '0600' });
  });

  it('reports an unreadable source and an unavailable builtin with positions', () => {
    const raw = baseRack();
    raw.defaults!.files = [
      { path: '/etc/a', source: 'missing.conf' },
      { path: '/etc/b', source: 'builtin:pirack-slave' },
    ];
    raw.defaults!.services = [];
    const text = stringify(raw);
    const problems = problemsOf(text, { resolveBuiltin: undefined });
    expect(problems.map((p) => p.path)).toEqual(['/defaults/files/0/source', '/defaults/files/1/source']);
    expect(problems[0]?.message).toContain('"missing.conf" cannot be read (ENOENT');
    expect(problems[1]?.message).toContain('builtin pirack-slave unavailable');
    const lines = text.split('\n');
    expect(lines[problems[1]!.line - 1]).toContain('builtin:pirack-slave');
    const unknown = problemsOf(text.replace('builtin:pirack-slave', 'builtin:nope'), { readFile: () => 'x' });
    expect(unknown[0]?.message).toContain('builtin nope unavailable (unknown builtin)');
  });

  it('a missing daemon key is a problem with the ssh-keygen command, or a warning when not required', () => {
    const text = stringify(baseRack());
    const problems = problemsOf(text, { readPublicKey: () => undefined });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toBe("the daemon's public key /var/lib/pirack/id_ed25519.pub does not exist");
    expect(problems[0]?.hint).toContain("ssh-keygen -t ed25519 -f /var/lib/pirack/id_ed25519 -N ''");
    const r = parseRack(text, testOptions({ readPublicKey: () => undefined, requireKey: false }));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.message)).toEqual(problems.map((p) => p.message));
    if (r.ok) expect(r.rack.nodes[0]?.authorizedKeys.keys).toEqual([]);
  });

  it('rejects a public key file that holds no key line', () => {
    expect(problemsOf(stringify(baseRack()), { readPublicKey: () => 'garbage\n' })[0]?.message).toContain(
      'does not hold an OpenSSH public key line',
    );
  });

  it('takes an explicit revision (a git commit)', () => {
    const r = parseRack(stringify(baseRack()), testOptions({ revision: 'abc123' }));
    expect(r.ok && r.rack.revision).toBe('abc123');
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('apiVersion: pirack/v1\nname: [unclosed\ngrid: 1\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
    const dup = problemsOf('name: a\nname: b\n');
    expect(dup[0]).toMatchObject({ line: 2, column: 1, hint: 'A key appears twice in the same mapping; keep one.' });
  });

  it('rejects a document that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')[0]?.message).toBe('the file is not a YAML mapping of rack settings');
  });

  it('reports every schema and semantic problem at once, sorted, each at its line and column', () => {
    const text = [
      'apiVersion: pirack/v1',
      'name: test',
      'grid: { rows: 1, cols: 1 }',
      'network:',
      '  subnet: 10.0.0.0/24',
      '  master: 10.0.0.11',
      '  gateway: 10.0.0.1',
      '  dhcp: { dynamicRange: [10.0.0.200, 10.0.0.250] }',
      'relay: { driver: onoff, stagger: soon }',
      'stacks:',
      '  - id: 1',
      '    x: 1',
      '    y: 1',
      '    relayPin: 18',
      '    pis:',
      '      - { id: 1, ip: 10.0.0.300 }',
      '      - { id: 1, ip: 10.0.0.70, colour: red }',
      '',
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [9, 34, 'relay.stagger "soon" is not a duration such as 500ms, 10s, 5m, 1h, or a number of seconds'],
      [16, 22, 'stacks[0].pis[0].ip "10.0.0.300" is not an IPv4 address'],
      [17, 15, 'stacks[0].pis[1].id 1 is already the id of stacks[0].pis[0] (stack 1)'],
      [17, 33, 'stacks[0].pis[1] has an unknown key "colour"'],
    ]);
    expect(problems[1]).toMatchObject({ path: '/stacks/0/pis/0/ip', hint: 'Write an IPv4 address.' });
  });
});

describe('loadRack', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads the file, its sources and key from disk', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-load-'));
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'id.pub'), `${FAKE_KEY}\n`);
    writeFileSync(join(dir, 'motd'), 'from disk\n');
    const raw = { ...baseRack(), ssh: { keyFile: 'keys/id' } };
    raw.defaults!.files = [{ path: '/etc/motd', source: 'motd' }];
    writeFileSync(join(dir, 'rack.yaml'), stringify(raw));
    const rack = await loadRack(join(dir, 'rack.yaml'));
    expect(rack.nodes[0]?.files[0]?.content).toBe('from disk\n');
    expect(rack.ssh.keyFile).toBe(join(dir, 'keys', 'id'));
    expect(rack.nodes[0]?.authorizedKeys.keys[0]).toBe(FAKE_KEY);
  });

  it('rejects with a PiRackError that lists every problem as file:line:col', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-load-'));
    writeFileSync(join(dir, 'rack.yaml'), 'apiVersion: pirack/v2\nname: Bad_Name\n');
    const err = await loadRack(join(dir, 'rack.yaml'), { readPublicKey: () => FAKE_KEY }).catch((e: unknown) => e);
    expect(isPiRackError(err) && err.code).toBe('PIRACK_ERR_CONFIG_INVALID');
    expect((err as Error).message).toContain('rack.yaml:1:13: apiVersion "pirack/v2" is not pirack/v1');
    expect((err as Error).message).toContain('rack.yaml:2:7: name "Bad_Name" is not a rack name');
    expect((err as Error).message).toContain('is missing "stacks"');
  });

  it('rejects an unreadable file with CONFIG_READ', async () => {
    const err = await loadRack('/nonexistent/pirack/rack.yaml').catch((e: unknown) => e);
    expect(isPiRackError(err) && err.code).toBe('PIRACK_ERR_CONFIG_READ');
  });
});
