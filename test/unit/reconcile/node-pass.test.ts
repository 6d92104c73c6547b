import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { nodeControllers } from '../../../controllers/index.ts';
import { pirackError } from '../../../src/errors.ts';
import type { NodeFacts } from '../../../src/model/observed.ts';
import { reconcileNode } from '../../../src/reconcile/node-pass.ts';
import type { DhcpContext } from '../../../src/reconcile/controller.ts';
import type { RelayDriver } from '../../../src/relay/types.ts';
import { fakeClock } from '../../support/fake-clock.ts';
import type { ExecOptions, ExecResult, SshRunner, SshTarget } from '../../../src/ssh/types.ts';
import { blankFacts, convergedFacts, nodeSpec, policies } from '../../support/fixtures.ts';

/** Renders facts back into probe output, the inverse of the controllers' parsers. */
function probeOutput(facts: NodeFacts): string {
  const s = facts.system;
  const keys = facts.authorizedKeys;
  return [
    '@@pirack:system',
    `hostname ${s.hostname}`,
    `uptime ${s.uptimeSeconds}`,
    `load ${s.load1}`,
    `memtotal ${s.memTotalKb}`,
    `memavail ${s.memAvailableKb}`,
    `cpu ${s.cpuBusy} ${s.cpuTotal}`,
    `now ${s.now}`,
    '@@pirack:authorizedKeys',
    ...(keys.dirMode ? [`dir ${keys.dirMode} root`] : []),
    ...(keys.exists ? [`file ${keys.fileMode} ${keys.owner}`] : []),
    ...keys.lines.map((l) => `key ${l}`),
    '@@pirack:packages',
    ...Object.entries(facts.packages.byName).map(([n, p]) => `pkg ${n} ${p.status} ${p.version ?? ''}`),
    `lists ${facts.packages.listsMtime}`,
    '@@pirack:files',
    ...Object.entries(facts.files).map(([path, f]) =>
      f.exists ? `file ${f.mode} ${f.owner} ${f.group} ${f.sha256} ${path}` : `missing ${path}`,
    ),
    '@@pirack:services',
    ...Object.entries(facts.services).map(([u, f]) => `unit ${u} ${f.enabled} ${f.active} ${f.needsReload ? 'yes' : 'no'}`),
    '@@pirack:hostname',
    '@@pirack:end',
    '',
  ].join('\n');
}

/** A Pi that answers probes from a list of states and every other command with `exitFor`. */
function fakePi(states: NodeFacts[], exitFor: (command: string) => number = () => 0, bootstrap = false) {
  const commands: string[] = [];
  let forgotten = 0;
  let probes = 0;
  const ssh: SshRunner = {
    async exec(_t: SshTarget, command: string, _o?: ExecOptions): Promise<ExecResult> {
      if (command.includes('@@pirack:')) {
        const facts = states[Math.min(probes++, states.length - 1)]!;
        return { exitCode: 0, stdout: probeOutput(facts), stderr: '', durationMs: 1 };
      }
      commands.push(command);
      const exitCode = exitFor(command);
      return { exitCode, stdout: '', stderr: exitCode ? 'E: Could not get lock /var/lib/dpkg/lock-frontend' : '', durationMs: 1 };
    },
    usedBootstrap: () => bootstrap,
    forget: () => void forgotten++,
    connectionCount: () => 1,
    close: async () => undefined,
  };
  return { ssh, commands, forgotten: () => forgotten, probes: () => probes };
}

const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
const unused = (what: string) => new Proxy({}, { get: () => () => Promise.reject(new Error(`a Pi pass used the ${what}`)) });
const deps = (ssh: SshRunner) => ({
  ssh,
  controllers: nodeControllers,
  policies,
  sshPort: 22,
  log: silent,
  clock: fakeClock(1_700_000_000_000),
  relay: unused('relay') as RelayDriver,
  dhcp: unused('dhcp') as DhcpContext,
  emit: () => undefined,
});
const signal = new AbortController().signal;

describe('reconcileNode', () => {
  it('does one probe and nothing else on a converged Pi', async () => {
    const pi = fakePi([convergedFacts()]);
    const result = await reconcileNode(nodeSpec(), deps(pi.ssh), { signal });
    expect(result.planned).toEqual([]);
    expect(pi.commands).toEqual([]);
    expect(pi.probes()).toBe(1);
  });

  it('applies every controller in order, then verifies with a second probe', async () => {
    const pi = fakePi([blankFacts(), convergedFacts()], () => 0, true);
    const result = await reconcileNode(nodeSpec(), deps(pi.ssh), { signal });
    expect(result.applied.map((a) => a.action.kind)).toEqual([
      'keys-write',
      'pkg-install',
      'file-write',
      'file-write',
      'systemd-reload',
      'service-enable',
      'service-start',
    ]);
    expect(result.remaining).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(pi.probes()).toBe(2);
    // Logged in with the bootstrap password: the connection is dropped so the key is used next.
    expect(pi.forgotten()).toBe(1);
  });

  it('plans but applies nothing in a dry run', async () => {
    const pi = fakePi([blankFacts()]);
    const result = await reconcileNode(nodeSpec(), deps(pi.ssh), { signal, dryRun: true });
    expect(result.planned.length).toBeGreaterThan(0);
    expect(pi.commands).toEqual([]);
  });

  it('stops at the first failed step and reports it as a transient error', async () => {
    const pi = fakePi([blankFacts()], (cmd) => (cmd.includes('apt-get') ? 100 : 0));
    const result = await reconcileNode(nodeSpec(), deps(pi.ssh), { signal });
    expect(result.applied.map((a) => [a.action.kind, a.result.ok])).toEqual([
      ['keys-write', true],
      ['pkg-install', false],
    ]);
    expect(result.error?.code).toBe('PIRACK_ERR_DPKG_LOCKED');
    expect(result.error?.transient).toBe(true);
  });

  it('reports an unreachable Pi without throwing', async () => {
    const ssh: SshRunner = {
      ...fakePi([]).ssh,
      exec: async () => {
        throw pirackError('PIRACK_ERR_SSH_UNREACHABLE', 'connect ECONNREFUSED');
      },
    };
    const result = await reconcileNode(nodeSpec(), deps(ssh), { signal });
    expect(result.facts).toBeUndefined();
    expect(result.error?.code).toBe('PIRACK_ERR_SSH_UNREACHABLE');
  });

  it('rejects a Pi that answers the probe with garbage', async () => {
    const ssh: SshRunner = {
      ...fakePi([]).ssh,
      exec: async () => ({ exitCode: 0, stdout: 'Welcome to BusyBox!\n', stderr: '', durationMs: 1 }),
    };
    const result = await reconcileNode(nodeSpec(), deps(ssh), { signal });
    expect(result.error?.code).toBe('PIRACK_ERR_PROBE_GARBAGE');
    expect(result.applied).toEqual([]);
  });
});
