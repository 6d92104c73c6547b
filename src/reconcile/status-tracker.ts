/**
 * Builds the status report from the observed-state store and the desired state. It is only the
 * report: it reads the store, never feeds the loop (nothing reads the report as input), and
 * keeps only what a report needs to remember itself: each condition's last transition time.
 */
import type { RackSpec } from '../model/desired.ts';
import type { Condition, NodeStatus, StackHealth, StackStatus, StatusReport } from '../model/status.ts';
import type { ControllerSet } from '../../controllers/index.ts';
import { computeConditions, controllerCondition, streamingCondition } from './conditions.ts';
import type { ObservedStore, StoreChange } from './observed-store.ts';
import type { OperatorState } from './operator-layer.ts';
import { piKey } from './keys.ts';
import { holdOnKey, holdOnStack, holdTargetLabel, type Hold } from './maintenance.ts';

export interface RevisionInfo {
  readonly lastAppliedRevision?: string;
  readonly lastAttemptedRevision?: string;
  readonly revisionErrors: readonly string[];
}

/** The desired side of the report, read when it is built. */
export interface DesiredView {
  readonly rack: RackSpec;
  readonly operator: OperatorState;
  readonly revisions: RevisionInfo;
  readonly suspended: boolean;
  /** The operator's maintenance holds (absent: none). */
  readonly holds?: readonly Hold[];
}

export class StatusTracker {
  private readonly nodeConditions = new Map<number, Condition[]>();
  private readonly stackConditions = new Map<number, Condition[]>();
  private rackConditions: Condition[] = [];
  /** When anything in the report last changed; the report's generatedAt, so watchers can skip unchanged ones. */
  private changedAt: Date;

  constructor(
    private readonly store: ObservedStore,
    private readonly view: () => DesiredView | undefined,
    private readonly controllers: ControllerSet,
    private readonly now: () => Date,
  ) {
    this.changedAt = now();
    store.subscribe((change) => this.onChange(change));
  }

  /** The desired side changed (a revision, suspend, an override): the report is new. */
  touch(): void {
    this.changedAt = this.now();
    this.changes++;
  }

  private changes = 0;

  /** Grows with every change of the report (two changes in one millisecond included). */
  get version(): number {
    return this.changes;
  }

  get generatedAt(): Date {
    return this.changedAt;
  }

  /**
   * Touches the report only when something it shows changed: a stack pass every few seconds that
   * finds everything as it was is no news for the dashboard.
   */
  private onChange(change: StoreChange): void {
    const at = this.now().toISOString();
    let changed = true;
    if (change.scope === 'node') {
      if (change.what === 'change-notice') changed = false;
      else if (change.what === 'health')
        changed = true; // new figures, the same conditions
      else if (change.what !== 'probe') changed = this.updateNode(change.id, at) || change.what === 'heartbeat';
    } else if (change.scope === 'stack') {
      if (change.what === 'pass') {
        const seen = this.store.stack(change.id);
        const power = this.controllers.stack[0];
        const before = this.stackConditions.get(change.id) ?? [];
        if (seen && power) this.stackConditions.set(change.id, [controllerCondition(power, seen.remaining, seen.error, before, at)]);
        changed = !sameConditions(before, this.stackConditions.get(change.id) ?? []);
      }
    } else if (change.what === 'pass') {
      const enlist = this.controllers.rack[0];
      const before = this.rackConditions;
      if (enlist)
        this.rackConditions = [controllerCondition(enlist, this.store.rack.remaining, this.store.rack.error, this.rackConditions, at)];
      changed = !sameConditions(before, this.rackConditions);
    } else {
      changed = change.what === 'enlistment';
    }
    if (changed) this.touch();
  }

  /** Recomputes a Pi's conditions; true when they (or what it has pending) changed. */
  private updateNode(id: number, at: string): boolean {
    const seen = this.store.node(id);
    if (!seen || seen.reachable === undefined) return false;
    const before = this.nodeConditions.get(id) ?? [];
    const reinst = seen.facts?.packages.reinstRequired;
    const reachable = seen.reachable && !seen.poweredOff;
    const conditions = computeConditions(
      {
        reachable,
        quarantined: seen.quarantined,
        ...(seen.poweredOff ? { poweredOff: seen.poweredOff } : {}),
        remaining: reachable ? seen.remaining : [],
        ...(seen.error ? { error: seen.error } : {}),
        ...(reinst && reachable ? { reinstRequired: reinst } : {}),
        ...(seen.facts?.system.rebootRequired && reachable ? { rebootRequired: seen.facts.system.rebootRequired } : {}),
      },
      before,
      at,
      this.controllers.node,
    );
    if (seen.stream) conditions.push(streamingCondition(seen.stream, seen.streamNote, before, at));
    this.nodeConditions.set(id, conditions);
    const shown = JSON.stringify([
      this.nodeConditions.get(id)!.map((c) => [c.type, c.status, c.reason, c.message]),
      seen.remaining.map(describe),
      seen.error?.code,
      seen.error?.message,
      seen.quarantined,
    ]);
    const changed = this.lastShown.get(id) !== shown;
    this.lastShown.set(id, shown);
    return changed;
  }

  /** What the report last showed of each Pi, to tell a pass that changed it from one that did not. */
  private readonly lastShown = new Map<number, string>();

  report(): StatusReport {
    const view = this.view();
    if (!view) return emptyReport(this.changedAt);
    const { rack, operator, revisions, suspended } = view;
    const iso = (ms: number) => new Date(ms).toISOString();
    const maintenance = { holds: view.holds ?? [] };
    const shown = (h: Hold | undefined) =>
      h ? { suspended: { target: holdTargetLabel(h), by: h.by, reason: h.reason, at: iso(h.at) } } : {};
    const nodes: NodeStatus[] = rack.nodes.map((spec) => {
      const seen = this.store.node(spec.id);
      const sys = seen?.facts?.system;
      const health = seen?.health;
      return {
        id: spec.id,
        stack: spec.stack,
        ...(spec.labels ? { labels: spec.labels } : {}),
        conditions: this.nodeConditions.get(spec.id) ?? [],
        observed: {
          ip: spec.ip,
          ...((sys?.mac ?? spec.mac) ? { mac: sys?.mac ?? spec.mac } : {}),
          ...(sys
            ? {
                hostname: sys.hostname,
                uptimeSeconds: health?.uptimeSeconds ?? sys.uptimeSeconds,
                load1: health?.load1 ?? sys.load1,
                memUsedPercent:
                  health?.memUsedPercent ??
                  (sys.memTotalKb > 0 ? Math.round((1 - sys.memAvailableKb / sys.memTotalKb) * 1000) / 10 : undefined),
                ...((health?.temperatureC ?? sys.temperatureC) !== undefined
                  ? { temperatureC: health?.temperatureC ?? sys.temperatureC }
                  : {}),
              }
            : {}),
          ...((health?.cpuPercent ?? seen?.cpuPercent) !== undefined ? { cpuPercent: health?.cpuPercent ?? seen?.cpuPercent } : {}),
        },
        pendingActions: seen?.poweredOff || seen?.reachable === false ? [] : (seen?.remaining ?? []).map((a) => describe(a)),
        ...(seen?.error && seen.errorAt !== undefined
          ? { lastError: { code: seen.error.code, message: seen.error.message, at: iso(seen.errorAt) } }
          : {}),
        ...(seen?.lastSeen !== undefined ? { lastSeen: iso(seen.lastSeen) } : {}),
        quarantined: seen?.quarantined ?? false,
        ...(seen?.stream === 'open' && health && seen.heartbeatAt !== undefined
          ? { health: { ...health, at: iso(seen.heartbeatAt) } }
          : {}),
        ...shown(holdOnKey(maintenance, rack, piKey(spec.id))),
      };
    });
    const stacks: StackStatus[] = rack.stacks.map((stack) => {
      const answering = stack.nodes.filter((n) => this.store.node(n.id)?.reachable === true).length;
      const health: StackHealth = answering === stack.nodes.length && answering > 0 ? 'ok' : answering > 0 ? 'warning' : 'ko';
      const override = operator.overrides.find((o) => o.stack === stack.id && o.revision === rack.revision);
      return {
        id: stack.id,
        x: stack.x,
        y: stack.y,
        desiredPower: override?.power ?? stack.power,
        power: this.store.stack(stack.id)?.relay ?? 'unknown',
        health,
        nodes: stack.nodes.map((n) => n.id),
        ...(override ? { override: { power: override.power, by: override.by, at: iso(override.at), rackYamlPower: stack.power } } : {}),
        conditions: this.stackConditions.get(stack.id) ?? [],
        ...shown(holdOnStack(maintenance, rack, stack.id)),
      };
    });
    const ready = nodes.filter((n) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True').length;
    const unreachable = nodes.filter((n) => n.conditions.find((c) => c.type === 'Reachable')?.status === 'False').length;
    const lastPass = this.store.lastPass;
    const enlistment = this.store.enlistment.progress;
    return {
      generatedAt: this.changedAt.toISOString(),
      rack: {
        name: rack.name,
        ready: ready === nodes.length,
        suspended,
        ...(maintenance.holds.length > 0
          ? { holds: maintenance.holds.map((h) => ({ target: holdTargetLabel(h), by: h.by, reason: h.reason, at: iso(h.at) })) }
          : {}),
        counts: { nodes: nodes.length, ready, unreachable, quarantined: nodes.filter((n) => n.quarantined).length },
        ...(revisions.lastAppliedRevision ? { lastAppliedRevision: revisions.lastAppliedRevision } : {}),
        ...(revisions.lastAttemptedRevision ? { lastAttemptedRevision: revisions.lastAttemptedRevision } : {}),
        revisionErrors: revisions.revisionErrors,
        ...(lastPass ? { lastPassAt: iso(lastPass.at), lastPassDurationMs: Math.round(lastPass.durationMs) } : {}),
        grid: rack.grid,
        ...(enlistment ? { enlistment } : {}),
        conditions: this.rackConditions,
      },
      stacks,
      nodes,
      lastErrors: this.store.errors(20).map((e) => ({ at: iso(e.at), where: e.where, code: e.code, message: e.message })),
    };
  }
}

import { describeAction as describe } from '../model/actions.ts';

function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => c.type === b[i]!.type && c.status === b[i]!.status && c.reason === b[i]!.reason && c.message === b[i]!.message)
  );
}

/** The report before any valid rack.yaml: says so, and which revision was rejected. */
export function emptyReport(at: Date, rejected?: { revision: string; errors: readonly string[] }): StatusReport {
  return {
    generatedAt: at.toISOString(),
    rack: {
      name: '(no valid rack.yaml yet)',
      ready: false,
      suspended: false,
      counts: { nodes: 0, ready: 0, unreachable: 0, quarantined: 0 },
      ...(rejected ? { lastAttemptedRevision: rejected.revision } : {}),
      revisionErrors: rejected?.errors ?? [],
      grid: { rows: 1, cols: 1 },
    },
    stacks: [],
    nodes: [],
    lastErrors: [],
  };
}
