/**
 * The enlistment runner: the original's "launch installation" for one stack, done with bounds.
 *
 * 1. Every stack with unbound Pis is switched OFF (this one too), so any new lease after that can
 *    only come from this stack; the leases file is then snapshotted as the baseline.
 * 2. This stack is switched ON and the leases are polled for at most `windowMs`: a MAC counts as
 *    discovered when it is bound to nothing (rack.yaml or bindings) and either was not in the
 *    baseline or its lease was renewed since (a Pi that leased before asks again when it boots).
 * 3. Binding rule: discovered MACs in order of discovery (first poll they appeared in, then lease
 *    expiry, then MAC) go to the stack's unbound Pi ids in ascending order, as the original handed
 *    out fixed IPs in discovery order. Extra MACs are reported, not bound; too few is a warning
 *    once the window closes, never an endless wait.
 * 4. Bindings are saved (atomically), the dnsmasq hosts file is rewritten and dnsmasq SIGHUPed.
 * 5. The stack is power-cycled so its Pis ask for an address afresh and get their fixed ones; a
 *    renewal would only happen at T1 (half the lease time), which can be hours away.
 * 6. Each bound Pi is checked at its fixed IP, bounded by `reachTimeoutMs`.
 *
 * An abort stops at the next wait; what is bound and written by then stays (it is correct), and
 * the stacks are left as they are: the power controller restores rack.yaml's levels afterwards.
 */
import type { Logger } from 'pino';
import { pirackError, isPiRackError } from '../errors.ts';
import type { RackSpec } from '../model/desired.ts';
import type { EnlistmentProgress, RackEvent } from '../model/status.ts';
import type { RelayDriver } from '../relay/types.ts';
import { effectiveMacs, hostEntries, unboundByStack, type Binding, type Bindings } from './bindings.ts';
import type { HostEntry } from './hosts.ts';
import type { Lease } from './leases.ts';

export interface EnlistmentOptions {
  readonly rack: RackSpec;
  readonly stack: number;
  /** The stack's Pi ids without a MAC, ascending. */
  readonly unbound: readonly number[];
  /** 1-based position of this stack in the round, for progress. */
  readonly position: { readonly index: number; readonly count: number };
  readonly relay: RelayDriver;
  readonly readLeases: () => Promise<readonly Lease[]>;
  readonly readBindings: () => Promise<Bindings>;
  readonly writeBindings: (bindings: Bindings) => Promise<void>;
  readonly writeHosts: (entries: readonly HostEntry[]) => Promise<unknown>;
  readonly isReachable: (ip: string, signal: AbortSignal) => Promise<boolean>;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /** How long to watch for the stack's leases (policies.enlistWindowMs). */
  readonly windowMs: number;
  /** Off time before a stack is switched (back) on (policies.powerCycle.minOffMs). */
  readonly minOffMs: number;
  /** How long to wait for the bound Pis to answer at their fixed IPs; default windowMs. */
  readonly reachTimeoutMs?: number;
  /** Between two reads of the leases / two reachability rounds; default 1000 ms. */
  readonly pollMs?: number;
  readonly log?: Logger;
  readonly emit?: (event: Omit<RackEvent, 'seq' | 'at'>) => void;
  readonly onProgress?: (progress: EnlistmentProgress) => void;
  /**
   * Before a running stack is switched off in step 1: shuts its reachable Pis down cleanly
   * (controllers/power.ts gracefulCut). Step 5's cycle has none: its Pis booted seconds ago on
   * dynamic addresses and answer at no fixed one yet.
   */
  readonly beforeCut?: (stack: number) => Promise<void>;
}

export interface EnlistmentResult {
  readonly stack: number;
  readonly bound: readonly { readonly node: number; readonly mac: string; readonly ip: string }[];
  /** Pi ids for which no MAC turned up within the window. */
  readonly missing: readonly number[];
  /** MACs discovered beyond the number of unbound Pis: reported, not bound. */
  readonly extra: readonly string[];
  /** Bound Pis that did not answer at their fixed IP in time. */
  readonly unreachable: readonly number[];
  readonly durationMs: number;
}

/** A MAC seen in the leases during the watch: which poll first saw it, and its lease expiry. */
export interface Discovered {
  readonly mac: string;
  readonly poll: number;
  readonly expiry: number;
}

/** Pure: the binding rule of step 3. */
export function assignMacs(
  discovered: readonly Discovered[],
  unbound: readonly number[],
): { pairs: { node: number; mac: string }[]; extra: string[]; missing: number[] } {
  const ordered = [...discovered].sort((a, b) => a.poll - b.poll || a.expiry - b.expiry || a.mac.localeCompare(b.mac));
  const ids = [...unbound].sort((a, b) => a - b);
  const pairs = ids.slice(0, ordered.length).map((node, i) => ({ node, mac: (ordered[i] as Discovered).mac }));
  return { pairs, extra: ordered.slice(ids.length).map((d) => d.mac), missing: ids.slice(ordered.length) };
}

function aborted(stack: number, cause?: unknown) {
  return pirackError('PIRACK_ERR_ABORTED', `enlistment of stack ${stack} cancelled`, { cause, where: `stack ${stack}` });
}

export async function runEnlistment(o: EnlistmentOptions): Promise<EnlistmentResult> {
  const started = o.now();
  const target = `stack ${o.stack}`;
  const pollMs = o.pollMs ?? 1000;
  const reachTimeoutMs = o.reachTimeoutMs ?? o.windowMs;
  const expected = o.unbound.length;
  let found = 0;
  const progress = (message: string, remainingMs = 0, active = true) =>
    o.onProgress?.({
      active,
      stackIndex: o.position.index,
      stackCount: o.position.count,
      stack: o.stack,
      found,
      expected,
      elapsedMs: o.now() - started,
      remainingMs: Math.max(0, remainingMs),
      message,
    });
  const emit = (kind: string, message: string, result: RackEvent['result']) =>
    o.emit?.({ kind, target, message, result, durationMs: o.now() - started });
  const sleep = async (ms: number) => {
    try {
      await o.sleep(ms, o.signal);
    } catch (cause) {
      throw aborted(o.stack, cause);
    }
    if (o.signal.aborted) throw aborted(o.stack);
  };

  // 1. Everything that could answer with an unknown MAC goes off, this stack included.
  progress(`stack ${o.position.index} of ${o.position.count}: switching off the stacks waiting for enlistment`);
  const bindingsBefore = await o.readBindings();
  const waiting = [...unboundByStack(o.rack, bindingsBefore).keys()];
  if (!waiting.includes(o.stack)) waiting.push(o.stack);
  let switchedOff = false;
  for (const stack of waiting) {
    if (o.signal.aborted) throw aborted(o.stack);
    if ((await o.relay.read(stack)) !== 'off') {
      await o.beforeCut?.(stack);
      await o.relay.set(stack, 'off', o.signal);
      switchedOff = true;
    }
  }
  if (switchedOff) await sleep(o.minOffMs);
  const known = new Set(effectiveMacs(o.rack, bindingsBefore).values());
  const baseline = new Map((await o.readLeases()).map((l) => [l.mac, l.expiry]));

  // 2. Watch.
  await o.relay.set(o.stack, 'on', o.signal);
  const watchStart = o.now();
  const discovered = new Map<string, Discovered>();
  let poll = 0;
  for (;;) {
    if (o.signal.aborted) throw aborted(o.stack);
    for (const lease of await o.readLeases()) {
      if (known.has(lease.mac) || discovered.has(lease.mac)) continue;
      const before = baseline.get(lease.mac);
      if (before !== undefined && lease.expiry <= before) continue;
      discovered.set(lease.mac, { mac: lease.mac, poll, expiry: lease.expiry });
    }
    found = Math.min(discovered.size, expected);
    const remaining = o.windowMs - (o.now() - watchStart);
    progress(`stack ${o.position.index} of ${o.position.count}: found ${found} of ${expected} Pis`, remaining);
    if (discovered.size >= expected || remaining <= 0) break;
    await sleep(Math.min(pollMs, remaining));
    poll += 1;
  }

  // 3. Bind.
  const { pairs, extra, missing } = assignMacs([...discovered.values()], o.unbound);
  if (extra.length > 0) {
    emit('enlist-extra', `${extra.length} more MAC(s) than Pis declared, not bound: ${extra.join(', ')}`, 'info');
    o.log?.warn({ stack: o.stack, extra }, 'more MACs than declared Pis');
  }
  if (missing.length > 0) {
    const message = `found ${pairs.length} of ${expected} Pis within ${Math.round(o.windowMs / 1000)} s; pi ${missing.join(', ')} not seen (check power and cabling, then \`pirack enlist\`)`;
    emit('enlist-missing', message, 'failed');
    progress(`stack ${o.position.index} of ${o.position.count}: warning: ${message}`);
    o.log?.warn({ stack: o.stack, missing }, 'fewer Pis than declared');
  }
  const ips = new Map(o.rack.nodes.map((n) => [n.id, n.ip]));
  const bound = pairs.map((p) => ({ ...p, ip: ips.get(p.node) ?? '' }));
  if (bound.length === 0) {
    progress(`stack ${o.position.index} of ${o.position.count}: done, no Pi found`, 0, false);
    return { stack: o.stack, bound, missing, extra, unreachable: [], durationMs: o.now() - started };
  }

  // 4. Persist, then tell dnsmasq.
  const at = new Date(o.now()).toISOString();
  const current = await o.readBindings();
  const next: Record<number, Binding> = { ...current };
  for (const p of pairs) next[p.node] = { mac: p.mac, stack: o.stack, boundAt: at };
  await o.writeBindings(next);
  await o.writeHosts(hostEntries(o.rack, next));
  emit('enlist-bound', `bound ${bound.map((b) => `pi ${b.node} → ${b.mac}`).join(', ')}`, 'ok');

  // 5. Cycle so the Pis come back on their fixed addresses.
  progress(`stack ${o.position.index} of ${o.position.count}: power-cycling so the Pis take their fixed addresses`);
  await o.relay.set(o.stack, 'off', o.signal);
  await sleep(o.minOffMs);
  await o.relay.set(o.stack, 'on', o.signal);

  // 6. Check each answers at its fixed IP.
  const reachStart = o.now();
  const waitingFor = new Set(bound.map((b) => b.node));
  for (;;) {
    for (const b of bound) {
      if (!waitingFor.has(b.node)) continue;
      if (o.signal.aborted) throw aborted(o.stack);
      if (await o.isReachable(b.ip, o.signal).catch(() => false)) waitingFor.delete(b.node);
    }
    const remaining = reachTimeoutMs - (o.now() - reachStart);
    progress(
      `stack ${o.position.index} of ${o.position.count}: ${bound.length - waitingFor.size} of ${bound.length} Pis answer at their fixed IPs`,
      remaining,
    );
    if (waitingFor.size === 0 || remaining <= 0) break;
    await sleep(Math.min(pollMs, remaining));
  }
  const unreachable = [...waitingFor].sort((a, b) => a - b);
  if (unreachable.length > 0)
    emit(
      'enlist-unreachable',
      `pi ${unreachable.join(', ')} did not answer at the fixed IP within ${Math.round(reachTimeoutMs / 1000)} s`,
      'failed',
    );
  const durationMs = o.now() - started;
  progress(
    `stack ${o.position.index} of ${o.position.count}: done, ${bound.length - unreachable.length} of ${expected} Pis enlisted`,
    0,
    false,
  );
  return { stack: o.stack, bound, missing, extra, unreachable, durationMs };
}

/** Runs an enlistment and turns any throw into a PiRackError (RELAY for driver failures). */
export async function runEnlistmentSafely(
  o: EnlistmentOptions,
): Promise<{ ok: true; result: EnlistmentResult } | { ok: false; error: ReturnType<typeof pirackError> }> {
  try {
    return { ok: true, result: await runEnlistment(o) };
  } catch (cause) {
    const error = isPiRackError(cause)
      ? cause
      : pirackError('PIRACK_ERR_DHCP', `enlistment of stack ${o.stack} failed: ${(cause as Error).message}`, {
          cause,
          where: `stack ${o.stack}`,
        });
    return { ok: false, error };
  }
}
