/** Plain-object builders for plan tests: a Pi's spec and what a probe of it found. */
import { createHash } from 'node:crypto';
import type { FileSpec, NodeSpec, PoliciesSpec } from '../../src/model/desired.ts';
import type { NodeFacts } from '../../src/model/observed.ts';

export const DAEMON_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaemonKeyDaemonKeyDaemonKeyDaemonKey pirack-daemon';
export const OPERATOR_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyOperatorKeyOperatorKey alice';
export const STRANGER_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABStrangerStrangerStranger bob@laptop';

export const policies: PoliciesSpec = {
  powerCycle: { enabled: false, afterUnreachableMs: 600_000, maxCyclesPerHour: 2, minOffMs: 10_000 },
  aptListsMaxAgeMs: 24 * 3600_000,
  dpkgLockTimeoutSeconds: 120,
  resyncIntervalMs: 300_000,
  backoffBaseMs: 2000,
  backoffMaxMs: 300_000,
  enlistWindowMs: 40_000,
};

export function fileSpec(path: string, content: string, extra: Partial<FileSpec> = {}): FileSpec {
  return { path, content, sha256: sha(content), owner: 'root', group: 'root', mode: '0644', ...extra };
}

export function sha(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export const SLAVE_JS = fileSpec('/usr/local/lib/pirack/pirack-slave.js', 'console.log("slave")\n');
export const SLAVE_UNIT = fileSpec(
  '/etc/systemd/system/pirack-slave.service',
  '[Service]\nExecStart=/usr/bin/node /usr/local/lib/pirack/pirack-slave.js\n',
);

export function nodeSpec(overrides: Partial<NodeSpec> = {}): NodeSpec {
  return {
    id: 7,
    stack: 1,
    ip: '10.213.0.17',
    authorizedKeys: { user: 'root', keys: [DAEMON_KEY, OPERATOR_KEY], exclusive: false },
    packages: [
      { name: 'bc', state: 'present' },
      { name: 'nodejs', state: 'present' },
      { name: 'telnet', state: 'absent' },
    ],
    files: [SLAVE_JS, SLAVE_UNIT],
    services: [{ name: 'pirack-slave.service', enabled: true, running: true, restartOnChangeOf: [SLAVE_JS.path] }],
    ...overrides,
  };
}

/** Facts of a Pi that matches nodeSpec() exactly. */
export function convergedFacts(overrides: Partial<NodeFacts> = {}): NodeFacts {
  return {
    system: {
      hostname: 'raspberrypi',
      mac: 'b8:27:eb:00:01:07',
      uptimeSeconds: 100,
      load1: 0.1,
      memTotalKb: 1000,
      memAvailableKb: 500,
      cpuBusy: 10,
      cpuTotal: 100,
      now: 1_700_000_000,
    },
    authorizedKeys: { exists: true, lines: [DAEMON_KEY, OPERATOR_KEY], dirMode: '700', fileMode: '600', owner: 'root' },
    packages: {
      byName: { bc: { status: 'ii', version: '1.07.1-3' }, nodejs: { status: 'ii', version: '18.19.0' }, telnet: { status: 'un' } },
      listsMtime: 1_700_000_000,
      audit: '',
      reinstRequired: [],
    },
    files: {
      [SLAVE_JS.path]: { exists: true, sha256: SLAVE_JS.sha256, mode: '644', owner: 'root', group: 'root' },
      [SLAVE_UNIT.path]: { exists: true, sha256: SLAVE_UNIT.sha256, mode: '644', owner: 'root', group: 'root' },
    },
    services: { 'pirack-slave.service': { enabled: 'enabled', active: 'active', needsReload: false } },
    ...overrides,
  };
}

/** Facts of a freshly flashed Pi: no key, no packages, no files, no service. */
export function blankFacts(): NodeFacts {
  return convergedFacts({
    authorizedKeys: { exists: false, lines: [] },
    packages: { byName: {}, listsMtime: 0, audit: '', reinstRequired: [] },
    files: { [SLAVE_JS.path]: { exists: false }, [SLAVE_UNIT.path]: { exists: false } },
    services: { 'pirack-slave.service': { enabled: 'not-found', active: 'inactive', needsReload: false } },
  });
}

export const NOW = 1_700_000_000_000 + 3600_000;
