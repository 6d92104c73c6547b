/**
 * The original PiRack's `/api/v1.0` JSON shapes, computed from our StatusReport, so its clients
 * keep working. Pure: no I/O, unit-tested with plain objects.
 */
import type { NodeStatus, StackHealth, StackStatus, StatusReport } from '../../model/status.ts';

/** One Pi as the original's `/api/v1.0/rasps` listed it. */
export interface LegacyRasp {
  readonly id: number;
  readonly mac: string;
  readonly ip: string;
  readonly stack: number;
  /** The Pi's stack power: `On`, `Off`, or `Unknown` when the relay cannot be read back. */
  readonly power: LegacyPower;
  /** CPU %, or null when never measured. */
  readonly cpu: number | null;
  /** Degrees Celsius, or null when the Pi has no thermal zone or was never probed. */
  readonly temperature: number | null;
  /** ISO time of the last heartbeat (the original's "last good ping"; the last answered probe without a stream), or null. */
  readonly Lping: string | null;
  readonly Rstatus: 'okStatus' | 'koStatus';
}

export type LegacyPower = 'On' | 'Off' | 'Unknown';
export type LegacyStackStatus = 'okStatus' | 'warningStatus' | 'koStatus';

/** One stack as the original's `/api/v1.0/stacks` listed it. */
export interface LegacyStack {
  readonly id: number;
  readonly power: LegacyPower;
  readonly Sstatus: LegacyStackStatus;
  readonly x: number;
  readonly y: number;
}

/**
 * Stack actions that mean power rather than a command on each Pi, as the original had them. A Map,
 * not an object: a client's `constructor` or `__proto__` must find nothing here, not Object's own.
 */
export const LEGACY_STACK_POWER_ACTIONS: ReadonlyMap<string, 'off' | 'cycle'> = new Map([
  ['shutdown', 'off'],
  ['reboot', 'cycle'],
]);

export function legacyPower(power: StackStatus['power'] | undefined): LegacyPower {
  if (power === 'on') return 'On';
  if (power === 'off') return 'Off';
  return 'Unknown';
}

export function legacyStackStatus(health: StackHealth): LegacyStackStatus {
  return health === 'ok' ? 'okStatus' : health === 'warning' ? 'warningStatus' : 'koStatus';
}

export function toLegacyRasp(node: NodeStatus, stack: StackStatus | undefined): LegacyRasp {
  const reachable = node.conditions.find((c) => c.type === 'Reachable')?.status === 'True';
  return {
    id: node.id,
    mac: node.observed.mac ?? '',
    ip: node.observed.ip,
    stack: node.stack,
    power: legacyPower(stack?.power),
    cpu: node.observed.cpuPercent ?? null,
    temperature: node.observed.temperatureC ?? null,
    Lping: node.health?.at ?? node.lastSeen ?? null,
    Rstatus: reachable ? 'okStatus' : 'koStatus',
  };
}

export function toLegacyStack(stack: StackStatus): LegacyStack {
  return { id: stack.id, power: legacyPower(stack.power), Sstatus: legacyStackStatus(stack.health), x: stack.x, y: stack.y };
}

export function legacyRasps(status: StatusReport): { rasps: LegacyRasp[] } {
  const stacks = new Map(status.stacks.map((s) => [s.id, s]));
  return { rasps: status.nodes.map((n) => toLegacyRasp(n, stacks.get(n.stack))) };
}

export function legacyStacks(status: StatusReport): { stacks: LegacyStack[] } {
  return { stacks: status.stacks.map(toLegacyStack) };
}

/** `/api/v1.0/stacks/options`: the power words first, then every action that fans out to the Pis. */
export function legacyStackOptions(actionNames: readonly string[]): { actions: string[] } {
  const names = ['ping', ...LEGACY_STACK_POWER_ACTIONS.keys()];
  for (const name of actionNames) if (!names.includes(name)) names.push(name);
  return { actions: names };
}

/**
 * Finds the declared action a legacy client means: the original's configuration.ini spelled them
 * `Temperature`, `Ping`, `Reboot`, so an exact match wins, then a case-insensitive one.
 */
export function resolveActionName(requested: string, actionNames: readonly string[]): string | undefined {
  if (actionNames.includes(requested)) return requested;
  const lower = requested.toLowerCase();
  return actionNames.find((n) => n.toLowerCase() === lower);
}

/** The original's execute answer: `{"status": code, "data": …}` with the command's first line. */
export function legacyExecuteBody(result: { readonly code: number; readonly message: string; readonly data?: string }): {
  status: number;
  data: string;
} {
  return { status: result.code, data: result.data ?? result.message };
}
