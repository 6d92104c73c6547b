/**
 * Keeps what the daemon knows about every Pi and stack between passes and builds the status
 * report from it. The report is derived, never stored as a second source of truth.
 */
import type { PiRackError } from '../errors.ts';
import type { RackSpec } from '../model/desired.ts';
import type { SystemFacts } from '../model/observed.ts';
import { describeAction } from '../model/actions.ts';
import type { Condition, EnlistmentProgress, NodeStatus, StackHealth, StackStatus, StatusReport } from '../model/status.ts';
import { computeConditions } from './conditions.ts';
import type { NodePassResult } from './node-pass.ts';
import { cpuPercent } from '../probe/system.ts';

interface NodeMemory {
  conditions: Condition[];
  system?: SystemFacts;
  cpuPercent?: number;
  pending: string[];
  lastError?: { code: string; message: string; at: string };
  lastSeen?: string;
  reachable: boolean;
  /** Epoch ms since when the Pi has not answered (for the power-cycle policy). */
  unreachableSince?: number;
  quarantined: boolean;
}

export interface RevisionInfo {
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  revisionErrors: string[];
}

export class StatusTracker {
  private readonly nodes = new Map<number, NodeMemory>();
  private readonly stackPower = new Map<number, 'on' | 'off' | 'unknown'>();
  private readonly errors: { at: string; where: string; code: string; message: string }[] = [];
  private lastPass?: { at: string; durationMs: number };
  revisions: RevisionInfo = { revisionErrors: [] };
  suspended = false;
  enlistment?: EnlistmentProgress;

  /** When anything in the report last changed; the report's generatedAt, so watchers can skip unchanged ones. */
  private changedAt: Date;

  constructor(private readonly now: () => Date = () => new Date()) {
    this.changedAt = now();
  }

  /** Marks the report changed (fields set from outside: revisions, suspended, enlistment). */
  touch(): void {
    this.changedAt = this.now();
  }

  recordPass(result: NodePassResult, quarantined: boolean): void {
    const at = this.now().toISOString();
    const memory = this.nodes.get(result.node) ?? { conditions: [], pending: [], reachable: false, quarantined: false };
    const reachable = result.facts !== undefined;
    const reinst = result.facts?.packages.reinstRequired;
    memory.conditions = computeConditions(
      { reachable, quarantined, remaining: result.remaining, ...(result.error ? { error: result.error } : {}), ...(reinst ? { reinstRequired: reinst } : {}) },
      memory.conditions,
      at,
    );
    if (result.facts) {
      memory.cpuPercent = cpuPercent(memory.system, result.facts.system) ?? memory.cpuPercent;
      memory.system = result.facts.system;
      memory.lastSeen = at;
      delete memory.unreachableSince;
    } else {
      memory.unreachableSince ??= this.now().getTime();
    }
    memory.reachable = reachable;
    memory.quarantined = quarantined;
    memory.pending = result.remaining.map(describeAction);
    if (result.error) {
      memory.lastError = { code: result.error.code, message: result.error.message, at };
      this.recordError(`pi ${result.node}`, result.error);
    } else if (result.remaining.length === 0) {
      delete memory.lastError;
    }
    this.nodes.set(result.node, memory);
    this.touch();
  }

  /** A Pi of a stack that is meant to be off: not probed, not an error. */
  recordPoweredOff(node: number): void {
    const at = this.now().toISOString();
    const memory = this.nodes.get(node) ?? { conditions: [], pending: [], reachable: false, quarantined: false };
    memory.conditions = computeConditions({ reachable: false, quarantined: false, remaining: [], poweredOff: true }, memory.conditions, at);
    memory.reachable = false;
    memory.pending = [];
    delete memory.lastError;
    this.nodes.set(node, memory);
    this.touch();
  }

  recordError(where: string, error: PiRackError): void {
    this.errors.push({ at: this.now().toISOString(), where, code: error.code, message: error.message });
    if (this.errors.length > 50) this.errors.splice(0, this.errors.length - 50);
    this.touch();
  }

  recordStackPower(stack: number, power: 'on' | 'off' | 'unknown'): void {
    if (this.stackPower.get(stack) !== power) this.touch();
    this.stackPower.set(stack, power);
  }

  recordPassEnd(durationMs: number): void {
    this.lastPass = { at: this.now().toISOString(), durationMs };
    this.touch();
  }

  isReady(node: number): boolean {
    return this.nodes.get(node)?.conditions.find((c) => c.type === 'Ready')?.status === 'True';
  }

  /** Whether the Pi answered its last probe; undefined when it was never probed. */
  reachability(node: number): { reachable: boolean; unreachableSince?: number } | undefined {
    const memory = this.nodes.get(node);
    if (!memory || memory.conditions.length === 0) return undefined;
    return { reachable: memory.reachable, ...(memory.unreachableSince !== undefined ? { unreachableSince: memory.unreachableSince } : {}) };
  }

  unreachableSince(node: number): number | undefined {
    const memory = this.nodes.get(node);
    return memory && !memory.reachable ? memory.unreachableSince : undefined;
  }

  report(rack: RackSpec): StatusReport {
    const nodes: NodeStatus[] = rack.nodes.map((spec) => {
      const m = this.nodes.get(spec.id);
      const sys = m?.system;
      return {
        id: spec.id,
        stack: spec.stack,
        conditions: m?.conditions ?? [],
        observed: {
          ip: spec.ip,
          ...(sys?.mac ?? spec.mac ? { mac: sys?.mac ?? spec.mac } : {}),
          ...(sys ? {
            hostname: sys.hostname,
            uptimeSeconds: sys.uptimeSeconds,
            load1: sys.load1,
            memUsedPercent: sys.memTotalKb > 0 ? Math.round((1 - sys.memAvailableKb / sys.memTotalKb) * 1000) / 10 : undefined,
            ...(sys.temperatureC !== undefined ? { temperatureC: sys.temperatureC } : {}),
          } : {}),
          ...(m?.cpuPercent !== undefined ? { cpuPercent: m.cpuPercent } : {}),
        },
        pendingActions: m?.pending ?? [],
        ...(m?.lastError ? { lastError: m.lastError } : {}),
        ...(m?.lastSeen ? { lastSeen: m.lastSeen } : {}),
        quarantined: m?.quarantined ?? false,
      };
    });
    const stacks: StackStatus[] = rack.stacks.map((stack) => {
      const answering = stack.nodes.filter((n) => this.nodes.get(n.id)?.reachable).length;
      const health: StackHealth = answering === stack.nodes.length && answering > 0 ? 'ok' : answering > 0 ? 'warning' : 'ko';
      return {
        id: stack.id,
        x: stack.x,
        y: stack.y,
        desiredPower: stack.power,
        power: this.stackPower.get(stack.id) ?? 'unknown',
        health,
        nodes: stack.nodes.map((n) => n.id),
      };
    });
    const ready = nodes.filter((n) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True').length;
    const unreachable = nodes.filter((n) => n.conditions.find((c) => c.type === 'Reachable')?.status === 'False').length;
    return {
      generatedAt: this.changedAt.toISOString(),
      rack: {
        name: rack.name,
        ready: ready === nodes.length,
        suspended: this.suspended,
        counts: { nodes: nodes.length, ready, unreachable, quarantined: nodes.filter((n) => n.quarantined).length },
        ...(this.revisions.lastAppliedRevision ? { lastAppliedRevision: this.revisions.lastAppliedRevision } : {}),
        ...(this.revisions.lastAttemptedRevision ? { lastAttemptedRevision: this.revisions.lastAttemptedRevision } : {}),
        revisionErrors: this.revisions.revisionErrors,
        ...(this.lastPass ? { lastPassAt: this.lastPass.at, lastPassDurationMs: this.lastPass.durationMs } : {}),
        grid: rack.grid,
        ...(this.enlistment ? { enlistment: this.enlistment } : {}),
      },
      stacks,
      nodes,
      lastErrors: [...this.errors].reverse().slice(0, 20),
    };
  }
}
