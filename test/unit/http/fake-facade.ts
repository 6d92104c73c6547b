/**
 * A DaemonFacade made of plain data for HTTP tests: status and events are mutable, every call is
 * recorded, and results can be scripted per method.
 */
import type { ActionTarget, DaemonFacade, DaemonMetrics, OperationResult, PlanEntry, PowerOp } from '../../../src/daemon/facade.ts';
import type { HttpSpec } from '../../../src/model/desired.ts';
import type { Condition, NodeStatus, RackEvent, StackStatus, StatusReport } from '../../../src/model/status.ts';

export interface RecordedCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface FakeFacade extends DaemonFacade {
  readonly calls: RecordedCall[];
  report: StatusReport;
  eventLog: RackEvent[];
  planEntries: PlanEntry[];
  metricsValue: DaemonMetrics;
  result: OperationResult;
  /** What `install()` resolves to. */
  installResult: OperationResult;
  /** What `httpSettings()` answers (CORS tests set it). */
  httpSettingsValue: HttpSpec | undefined;
  /** Appends an event and tells every subscriber, as the daemon does. */
  emit(event: Omit<RackEvent, 'seq' | 'at'> & { at?: string }): RackEvent;
  /** Replaces one Pi's status and bumps generatedAt, as a finished pass does. */
  updateNode(id: number, change: (node: NodeStatus) => NodeStatus): void;
  readonly listenerCount: number;
}

const T0 = '2026-11-24T08:00:00.000Z';

export function condition(
  type: Condition['type'],
  status: Condition['status'],
  reason = status === 'True' ? 'AsDesired' : 'SshTimeout',
  message = '',
): Condition {
  return { type, status, reason, message, lastTransitionTime: T0 };
}

export function readyConditions(): Condition[] {
  return (['Reachable', 'KeysInSync', 'PackagesInSync', 'FilesInSync', 'ServicesInSync', 'Ready'] as const).map((t) =>
    condition(t, 'True'),
  );
}

export function unreachableConditions(): Condition[] {
  return [
    condition('Reachable', 'False', 'SshTimeout', 'connect timed out after 10s'),
    ...(['KeysInSync', 'PackagesInSync', 'FilesInSync', 'ServicesInSync'] as const).map((t) => condition(t, 'Unknown', 'NotProbed')),
    condition('Ready', 'False', 'Unreachable', 'the Pi does not answer'),
  ];
}

export function node(id: number, stack: number, extra: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id,
    stack,
    conditions: readyConditions(),
    observed: {
      ip: `10.77.0.${69 + id}`,
      mac: `b8:27:eb:00:00:${id.toString(16).padStart(2, '0')}`,
      hostname: `pi-${String(id).padStart(2, '0')}`,
      cpuPercent: 3 + id,
      temperatureC: 40 + id / 2,
      uptimeSeconds: 3600 * id,
      load1: 0.1,
      memUsedPercent: 20,
    },
    pendingActions: [],
    lastSeen: T0,
    quarantined: false,
    ...extra,
  };
}

export function sampleStatus(): StatusReport {
  const nodes: NodeStatus[] = [
    node(1, 1),
    node(2, 1),
    node(3, 1, {
      conditions: [
        ...readyConditions().slice(0, 2),
        condition('PackagesInSync', 'False', 'PackagesMissing', 'bc is not installed'),
        ...readyConditions().slice(3, 5),
        condition('Ready', 'False', 'Converging', 'installing bc'),
      ],
      pendingActions: ['install bc'],
    }),
    node(4, 2),
    node(5, 2, {
      conditions: unreachableConditions(),
      lastError: { code: 'PIRACK_ERR_SSH_TIMEOUT', message: 'connect timed out', at: T0 },
    }),
    node(6, 2, {
      quarantined: true,
      conditions: [condition('Reachable', 'True'), condition('Ready', 'False', 'HostKeyChanged', 'host key changed')],
    }),
    node(7, 3, { conditions: unreachableConditions(), observed: { ip: '10.77.0.76' } }),
    node(8, 3, { conditions: unreachableConditions(), observed: { ip: '10.77.0.77' } }),
  ];
  const stacks: StackStatus[] = [
    { id: 1, x: 1, y: 1, desiredPower: 'on', power: 'on', health: 'ok', nodes: [1, 2, 3] },
    { id: 2, x: 1, y: 2, desiredPower: 'on', power: 'on', health: 'warning', nodes: [4, 5, 6] },
    { id: 3, x: 2, y: 1, desiredPower: 'off', power: 'off', health: 'ko', nodes: [7, 8] },
  ];
  return {
    generatedAt: T0,
    rack: {
      name: 'lab-rack',
      ready: false,
      suspended: false,
      counts: { nodes: 8, ready: 3, unreachable: 3, quarantined: 1 },
      lastAppliedRevision: 'sha256:4f2a9c1e',
      lastAttemptedRevision: 'sha256:4f2a9c1e',
      revisionErrors: [],
      lastPassAt: T0,
      lastPassDurationMs: 1234,
      grid: { rows: 2, cols: 2 },
    },
    stacks,
    nodes,
    lastErrors: [{ at: T0, where: 'pi 5', code: 'PIRACK_ERR_SSH_TIMEOUT', message: 'connect timed out' }],
  };
}

export function createFakeFacade(report: StatusReport = sampleStatus()): FakeFacade {
  const listeners = new Set<(e: RackEvent) => void>();
  let clock = Date.parse(T0);
  const fake: FakeFacade = {
    calls: [],
    report,
    eventLog: [],
    planEntries: [
      { target: 'pi 3', kind: 'pkg-install', description: 'install bc' },
      { target: 'stack 3', kind: 'stack-power', description: 'power stack 3 on (desired)' },
    ],
    metricsValue: { passDurationsMs: [120, 900], passCount: 2, actionsTotal: { 'pkg-install': { ok: 3, failed: 1 } }, sshConnections: 5 },
    result: { ok: true, code: 202, message: 'accepted', data: 'first line' },
    get listenerCount() {
      return listeners.size;
    },
    emit(partial) {
      const last = fake.eventLog[fake.eventLog.length - 1];
      const event: RackEvent = { at: new Date(clock).toISOString(), ...partial, seq: (last?.seq ?? 0) + 1 };
      fake.eventLog.push(event);
      for (const l of [...listeners]) l(event);
      return event;
    },
    updateNode(id, change) {
      clock += 1000;
      fake.report = {
        ...fake.report,
        generatedAt: new Date(clock).toISOString(),
        nodes: fake.report.nodes.map((n) => (n.id === id ? change(n) : n)),
      };
    },
    status() {
      return fake.report;
    },
    events(afterSeq) {
      return fake.eventLog.filter((e) => afterSeq === undefined || e.seq > afterSeq);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    enlist() {
      fake.calls.push({ method: 'enlist', args: [] });
      return { ok: true, code: 202, message: 'enlistment requested' };
    },
    async install() {
      fake.calls.push({ method: 'install', args: [] });
      return fake.installResult;
    },
    installResult: { ok: true, code: 200, message: 'enlistment done' },
    httpSettingsValue: undefined,
    httpSettings() {
      return fake.httpSettingsValue;
    },
    async plan(options?: { fresh?: boolean }) {
      fake.calls.push({ method: 'plan', args: options?.fresh ? [options] : [] });
      return fake.planEntries;
    },
    actionNames() {
      return ['cpu', 'temperature', 'ping', 'reboot', 'uptime'];
    },
    reconcileNow() {
      fake.calls.push({ method: 'reconcileNow', args: [] });
      return fake.result;
    },
    recordReplacement(id: number, message: string) {
      fake.calls.push({ method: 'recordReplacement', args: [id, message] });
      return fake.result;
    },
    suspend() {
      fake.calls.push({ method: 'suspend', args: [] });
      fake.report = { ...fake.report, rack: { ...fake.report.rack, suspended: true } };
      return fake.result;
    },
    resume() {
      fake.calls.push({ method: 'resume', args: [] });
      fake.report = { ...fake.report, rack: { ...fake.report.rack, suspended: false } };
      return fake.result;
    },
    async rebootPi(id: number) {
      fake.calls.push({ method: 'rebootPi', args: [id] });
      return fake.result;
    },
    async power(target, op: PowerOp) {
      fake.calls.push({ method: 'power', args: [target, op] });
      return fake.result;
    },
    async runAction(target: ActionTarget, action: string) {
      fake.calls.push({ method: 'runAction', args: [target, action] });
      return fake.result;
    },
    confirmManualPower(stack: number) {
      fake.calls.push({ method: 'confirmManualPower', args: [stack] });
      return fake.result;
    },
    metrics() {
      return fake.metricsValue;
    },
  };
  return fake;
}
