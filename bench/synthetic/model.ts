/**
 * A synthetic rack held in memory: desired NodeSpecs and the NodeFacts a probe of each would have
 * returned, a chosen share of them drifted in varied ways. Deterministic (seeded), so two runs
 * plan exactly the same work.
 */
import { createHash } from 'node:crypto';
import type { FileSpec, NodeSpec, PoliciesSpec } from '../../src/model/desired.ts';
import type { NodeFacts } from '../../src/model/observed.ts';

/** The ways a synthetic Pi can differ from its spec; each maps to work for a different controller. */
export const DRIFTS = ['key-missing', 'package-missing', 'file-content', 'file-mode', 'service-stopped', 'service-disabled'] as const;
export type Drift = (typeof DRIFTS)[number];

export interface SyntheticNode {
  readonly spec: NodeSpec;
  readonly facts: NodeFacts;
  /** Undefined for a Pi in sync. */
  readonly drift?: Drift;
}

export interface SyntheticOptions {
  readonly nodes: number;
  /** Share of Pis drifted, 0..1. */
  readonly driftRatio: number;
  readonly seed?: number;
  /** Epoch ms the facts are "probed" at (apt lists are one hour old then). */
  readonly now: number;
}

export const SYNTHETIC_POLICIES: PoliciesSpec = {
  powerCycle: { enabled: false, afterUnreachableMs: 600_000, maxCyclesPerHour: 2, minOffMs: 10_000 },
  aptListsMaxAgeMs: 24 * 3600_000,
  dpkgLockTimeoutSeconds: 120,
  resyncIntervalMs: 300_000,
  backoffBaseMs: 2000,
  backoffMaxMs: 300_000,
  enlistWindowMs: 40_000,
};

const DAEMON_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISyntheticDaemonKeySyntheticDaemonKey00 pirack-daemon';
const OPERATOR_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISyntheticOperatorKeySyntheticOperator0 operator';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function file(path: string, content: string): FileSpec {
  return { path, content, sha256: sha256(content), owner: 'root', group: 'root', mode: '0644' };
}

// Contents are shared between Pis as the loader shares the resolved defaults; a realistic slave
// bundle size keeps the model's memory honest.
const SLAVE = file('/usr/local/lib/pirack/pirack-slave.js', `// synthetic slave\n${'x'.repeat(20_000)}\n`);
const UNIT = file(
  '/etc/systemd/system/pirack-slave.service',
  '[Unit]\nDescription=PiRack slave\n[Service]\nExecStart=/usr/bin/node /usr/local/lib/pirack/pirack-slave.js\nRestart=always\n[Install]\nWantedBy=multi-user.target\n',
);

/** mulberry32: a tiny seeded PRNG, enough to spread drifts evenly and reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function specOf(id: number): NodeSpec {
  return {
    id,
    stack: Math.floor((id - 1) / 12) + 1,
    ip: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`,
    authorizedKeys: { user: 'root', keys: [DAEMON_KEY, OPERATOR_KEY], exclusive: false },
    packages: [
      { name: 'bc', state: 'present' },
      { name: 'nodejs', state: 'present' },
      { name: 'telnet', state: 'absent' },
    ],
    files: [SLAVE, UNIT],
    services: [{ name: 'pirack-slave.service', enabled: true, running: true, restartOnChangeOf: [SLAVE.path] }],
  };
}

function convergedFacts(id: number, now: number): NodeFacts {
  return {
    system: {
      hostname: `pi-${id}`,
      uptimeSeconds: 3600,
      load1: 0.05,
      memTotalKb: 948_000,
      memAvailableKb: 700_000,
      cpuBusy: 1000,
      cpuTotal: 100_000,
      now: Math.floor(now / 1000),
    },
    authorizedKeys: { exists: true, lines: [DAEMON_KEY, OPERATOR_KEY], dirMode: '700', fileMode: '600', owner: 'root' },
    packages: {
      byName: {
        bc: { status: 'ii', version: '1.07.1-3+b1' },
        nodejs: { status: 'ii', version: '18.19.0+dfsg-6~deb12u2' },
        telnet: { status: 'un' },
      },
      listsMtime: Math.floor(now / 1000) - 3600,
      audit: '',
      reinstRequired: [],
    },
    files: {
      [SLAVE.path]: { exists: true, sha256: SLAVE.sha256, mode: '644', owner: 'root', group: 'root' },
      [UNIT.path]: { exists: true, sha256: UNIT.sha256, mode: '644', owner: 'root', group: 'root' },
    },
    services: { 'pirack-slave.service': { enabled: 'enabled', active: 'active', needsReload: false } },
  };
}

export function driftFacts(facts: NodeFacts, drift: Drift): NodeFacts {
  switch (drift) {
    case 'key-missing':
      return { ...facts, authorizedKeys: { ...facts.authorizedKeys, lines: facts.authorizedKeys.lines.slice(1) } };
    case 'package-missing':
      return { ...facts, packages: { ...facts.packages, byName: { ...facts.packages.byName, bc: { status: 'un' } } } };
    case 'file-content':
      return { ...facts, files: { ...facts.files, [SLAVE.path]: { ...facts.files[SLAVE.path]!, sha256: sha256('older slave') } } };
    case 'file-mode':
      return { ...facts, files: { ...facts.files, [UNIT.path]: { ...facts.files[UNIT.path]!, mode: '600' } } };
    case 'service-stopped':
      return { ...facts, services: { 'pirack-slave.service': { enabled: 'enabled', active: 'inactive', needsReload: false } } };
    case 'service-disabled':
      return { ...facts, services: { 'pirack-slave.service': { enabled: 'disabled', active: 'active', needsReload: false } } };
  }
}

/** Pis 1..nodes; exactly round(nodes · driftRatio) of them drifted, drift kinds in turn. */
export function syntheticRack(options: SyntheticOptions): SyntheticNode[] {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`);
  if (!(options.driftRatio >= 0 && options.driftRatio <= 1)) throw new RangeError(`driftRatio must be 0..1, got ${options.driftRatio}`);
  const random = seededRandom(options.seed ?? 42);
  const ids = Array.from({ length: options.nodes }, (_, i) => i + 1);
  // Fisher–Yates on a copy picks which Pis drift without bias.
  const order = [...ids];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const driftCount = Math.round(options.nodes * options.driftRatio);
  const drifted = new Map<number, Drift>(order.slice(0, driftCount).map((id, k) => [id, DRIFTS[k % DRIFTS.length]!]));
  return ids.map((id) => {
    const drift = drifted.get(id);
    const facts = convergedFacts(id, options.now);
    return drift ? { spec: specOf(id), facts: driftFacts(facts, drift), drift } : { spec: specOf(id), facts };
  });
}
