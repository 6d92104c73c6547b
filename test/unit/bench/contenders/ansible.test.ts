import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ansibleEnv,
  ansiblePass,
  assertUniform,
  fatalMessages,
  hostName,
  inventoryObject,
  parseRecap,
  recapFailures,
  writeWorkspace,
} from '../../../../bench/contenders/ansible.ts';
import type { RunProcess } from '../../../../bench/lib/process.ts';
import type { NodeSpec, RackSpec } from '../../../../src/model/desired.ts';
import { nodeSpec, policies } from '../../../support/fixtures.ts';

function rackOf(nodes: NodeSpec[]): RackSpec {
  return {
    name: 'lab',
    grid: { rows: 1, cols: 1 },
    network: {
      subnet: '10.213.0.0/24',
      master: '10.213.0.1',
      gateway: '10.213.0.1',
      dhcp: { dynamicRange: ['10.213.0.100', '10.213.0.199'], hostsFile: '/x', leasesFile: '/y', pidFile: '/z' },
    },
    ssh: {
      user: 'root',
      port: 22,
      keyFile: '/lab/master_key',
      connectTimeoutMs: 10_000,
      execTimeoutMs: 600_000,
      keepaliveIntervalMs: 15_000,
      concurrency: 16,
      maxSessionsPerConnection: 4,
      bootstrap: { user: 'root', passwordFile: '/lab/bootstrap-password' },
    },
    relay: { driver: 'lab', activeLow: true, staggerMs: 0 },
    policies,
    stacks: [],
    nodes,
    actions: [],
    revision: 'r1',
    sourcePath: '/lab/rack.yaml',
  };
}

const nodes = [nodeSpec({ id: 1, ip: '10.213.0.11' }), nodeSpec({ id: 2, ip: '10.213.0.12' })];

describe('inventoryObject', () => {
  it('declares the same key, packages, files and services as the rack', () => {
    const inv = inventoryObject({ rack: rackOf(nodes), nodes, filesDir: '/w/files', withPassword: false }) as {
      all: { children: { pis: { hosts: Record<string, unknown>; vars: Record<string, unknown> } } };
    };
    const pis = inv.all.children.pis;
    expect(pis.hosts).toEqual({ pi1: { ansible_host: '10.213.0.11' }, pi2: { ansible_host: '10.213.0.12' } });
    expect(pis.vars).toMatchObject({
      ansible_user: 'root',
      ansible_ssh_private_key_file: '/lab/master_key',
      pirack_keys: nodes[0]!.authorizedKeys.keys,
      pirack_packages_present: ['bc', 'nodejs'],
      pirack_packages_absent: ['telnet'],
      pirack_apt_cache_valid_time: 86_400,
      pirack_dpkg_lock_timeout: 120,
      pirack_services: [{ name: 'pirack-slave.service', enabled: true, running: true }],
    });
    expect(pis.vars.pirack_files).toEqual([
      { src: '/w/files/0-pirack-slave.js', dest: '/usr/local/lib/pirack/pirack-slave.js', owner: 'root', group: 'root', mode: '0644' },
      {
        src: '/w/files/1-pirack-slave.service',
        dest: '/etc/systemd/system/pirack-slave.service',
        owner: 'root',
        group: 'root',
        mode: '0644',
      },
    ]);
    expect(pis.vars).not.toHaveProperty('ansible_password');
  });

  it('reads the bootstrap password by lookup at run time, never copying it', () => {
    const inv = inventoryObject({ rack: rackOf(nodes), nodes, filesDir: '/w', withPassword: true });
    const text = JSON.stringify(inv);
    expect(text).toContain("lookup('file', '/lab/bootstrap-password')");
    expect(text).not.toContain('raspberry');
  });

  it('refuses a rack whose Pis are declared differently', () => {
    const odd = nodeSpec({ id: 3, packages: [{ name: 'htop', state: 'present' }] });
    expect(() => assertUniform([...nodes, odd])).toThrow(/pi 3 is declared differently/);
    expect(() => assertUniform([])).toThrow(/no Pis/);
  });
});

describe('writeWorkspace', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the inventory and the files with the exact contents the rack resolves', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-ansible-'));
    const path = await writeWorkspace(dir, rackOf(nodes), nodes, false);
    const inv = parse(await readFile(path, 'utf8')) as { all: { children: { pis: { vars: { pirack_files: { src: string }[] } } } } };
    const files = inv.all.children.pis.vars.pirack_files;
    expect(await readFile(files[0]!.src, 'utf8')).toBe(nodes[0]!.files[0]!.content);
    expect(await readFile(files[1]!.src, 'utf8')).toBe(nodes[0]!.files[1]!.content);
    expect((await readdir(join(dir, 'files'))).sort()).toEqual(['0-pirack-slave.js', '1-pirack-slave.service']);
  });
});

const RECAP = `PLAY [PiRack desired state] ****

PLAY RECAP *********************************************************************
pi1                        : ok=5    changed=0    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
pi2                        : ok=3    changed=2    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
pi3                        : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
`;

describe('recap', () => {
  it('reads every host line of PLAY RECAP', () => {
    const recap = parseRecap(RECAP);
    expect(recap.get('pi1')).toEqual({ ok: 5, changed: 0, unreachable: 0, failed: 0 });
    expect(recap.get('pi2')).toEqual({ ok: 3, changed: 2, unreachable: 0, failed: 1 });
    expect(recap.size).toBe(3);
    expect(parseRecap('no recap here').size).toBe(0);
  });

  it('names failed, unreachable and missing hosts', () => {
    expect(recapFailures(['pi1', 'pi2', 'pi3', 'pi4'], parseRecap(RECAP), 2, '')).toEqual([
      'pi2: 1 task(s) failed',
      'pi3: unreachable',
      'pi4: missing from the recap',
    ]);
  });

  it('reports a non-zero exit even when the recap looks clean', () => {
    expect(recapFailures(['pi1'], parseRecap(RECAP), 4, 'ERROR! something\n')).toEqual(['ansible-playbook exited 4: ERROR! something']);
    expect(recapFailures(['pi1'], parseRecap(RECAP), 0, '')).toEqual([]);
  });
});

describe('ansiblePass', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs ansible-playbook with the bench config and counts changes from the recap', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-ansible-'));
    const calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[] = [];
    const run: RunProcess = async (file, args, o) => {
      calls.push({ file, args, ...(o.env ? { env: o.env } : {}) });
      return {
        code: 0,
        stdout: RECAP.replace(/^pi2.*\n/m, '')
          .replace(/^pi3.*\n/m, '')
          .replace('changed=0', 'changed=1'),
        stderr: '',
        durationMs: 1234,
      };
    };
    const deps = { run, workDir: dir, timeoutMs: 1000, forks: 60 };
    const outcome = await ansiblePass(deps, '/inv.yml', [nodeSpec({ id: 1 })]);
    expect(outcome).toMatchObject({ durationMs: 1234, failures: [], changed: 1 });
    expect(calls[0]!.file).toBe('ansible-playbook');
    expect(calls[0]!.args[0]).toBe('-i');
    expect(calls[0]!.args[2]).toMatch(/bench\/ansible\/site\.yml$/);
    expect(calls[0]!.env?.ANSIBLE_CONFIG).toMatch(/bench\/ansible\/ansible\.cfg$/);
    expect(calls[0]!.env?.ANSIBLE_FORKS).toBe('60');
    expect(ansibleEnv({ ...deps, forks: 2 }, {}).ANSIBLE_FORKS).toBe('48');
  });

  it('uses inventory host names pi<id>', () => {
    expect(hostName(12)).toBe('pi12');
  });
});

describe('fatal messages', () => {
  it('explain a failed host with the msg of its first fatal line', () => {
    const out = `TASK [Packages present] ****\nfatal: [pi2]: FAILED! => {"changed": false, "msg": "Failed to lock apt for exclusive operation: \\"x\\""}\nfatal: [pi2]: FAILED! => {"msg": "second"}\n${RECAP}`;
    expect(fatalMessages(out).get('pi2')).toBe('Failed to lock apt for exclusive operation: \\"x\\"');
    expect(recapFailures(['pi2'], parseRecap(out), 2, out)).toEqual([
      'pi2: 1 task(s) failed: Failed to lock apt for exclusive operation: \\"x\\"',
    ]);
  });
});

describe('fatal messages of loop items', () => {
  it('read the msg of a failed loop item', () => {
    const out =
      'failed: [pi1] (item=/usr/local/lib/x.js) => {"ansible_loop_var": "item", "msg": "Destination directory /usr/local/lib does not exist"}\n';
    expect(fatalMessages(out).get('pi1')).toBe('Destination directory /usr/local/lib does not exist');
  });
});
