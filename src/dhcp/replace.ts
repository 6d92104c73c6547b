/**
 * `pirack replace PI`: a Pi whose MAC changed (a dead Pi swapped for a freshly flashed one) gets
 * its id, fixed IP and pinned host key moved to the new hardware, involving only its own stack.
 *
 * 1. Refused, with nothing changed, when rack.yaml pins the Pi's MAC (change it there), or when
 *    the Pi is not dead: its fixed IP answers with its pinned host key (or the daemon says Ready),
 *    unless `force`.
 * 2. The new Pi is found by its DHCP lease: a lease from a MAC nothing knows (not in rack.yaml,
 *    not bound), not on another Pi's fixed IP (the stale lease of a released MAC). Exactly one:
 *    that one; several: refused, name one with `mac`; none within `windowMs`: the new Pi must ask
 *    DHCP again. Only a relay cycle makes it ask at once, and the relay switches the whole stack,
 *    so that needs the operator's yes (`confirmCycle`); without it: refused, saying what to run.
 * 3. The new Pi's host key is read at its lease address, and the operator confirms MAC and key
 *    (`confirm`). Then, and only then: the old binding is released and the new MAC bound in one
 *    atomic write of the bindings (no moment where the Pi is unbound, which would make the
 *    enlistment cycle the stack), the dnsmasq hosts entry rewritten, the key pinned for this Pi
 *    alone, and a `pi-replaced` event records who confirmed what (old and new MAC and key).
 * 4. The new Pi still holds its dynamic address: it is rebooted over SSH at that address (the
 *    connection checks the key just pinned), so it asks DHCP again and gets its fixed IP. Only
 *    if that fails is a cycle of the stack offered, under the same confirmation as in 2.
 *    Until then the hosts entry names the old MAC too, after the new one: dnsmasq would otherwise
 *    refuse the fixed IP while the dead Pi's lease on it has not expired.
 * 5. Done when the fixed IP answers with the new key (bounded by `reachTimeoutMs`); the hosts
 *    entry is then the new MAC alone.
 *
 * Effects come in through ReplaceDeps. A failure before step 3's write leaves everything as it
 * was; after it, the new binding and pin stay (they are correct) and the message says what is left.
 */
import { pirackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import type { RackEvent } from '../model/status.ts';
import { effectiveMacs, hostEntries, type Bindings } from './bindings.ts';
import { normalizeMac, type HostEntry } from './hosts.ts';
import type { Lease } from './leases.ts';

/** A host key as read from a Pi: its SSH wire-format blob and SHA256 fingerprint. */
export interface ScannedKey {
  readonly blob: Buffer;
  readonly fingerprint: string;
}

export interface ReplaceDeps {
  readonly readLeases: () => Promise<readonly Lease[]>;
  readonly readBindings: () => Promise<Bindings>;
  readonly writeBindings: (bindings: Bindings) => Promise<void>;
  readonly writeHosts: (entries: readonly HostEntry[]) => Promise<unknown>;
  /** The Pi's pinned host key fingerprint, if any. */
  readonly pinnedFingerprint: () => string | undefined;
  /** Whether the old Pi is alive: its fixed IP answers with the pinned key, or the daemon says Ready. */
  readonly isAlive: () => Promise<{ readonly alive: boolean; readonly why: string }>;
  /** The host key the Pi at `ip` offers, or undefined when nothing answers there. */
  readonly scanHostKey: (ip: string) => Promise<ScannedKey | undefined>;
  /** Pins `key` for this Pi alone (its old pin and any quarantine are dropped). */
  readonly pinHostKey: (key: ScannedKey) => Promise<void>;
  /** The operator's yes to bind and pin; `by` says who or what confirmed (recorded). */
  readonly confirm: (question: string) => Promise<{ readonly yes: boolean; readonly by: string }>;
  /** The operator's yes to cycling the stack's relay (`--cycle-stack` or an interactive yes). */
  readonly confirmCycle: (question: string) => Promise<boolean>;
  readonly cycleStack: () => Promise<void>;
  /** Reboots the new Pi at its lease address (SSH, host key checked against the new pin). */
  readonly rebootAt: (ip: string) => Promise<void>;
  readonly record: (event: Omit<RackEvent, 'seq' | 'at'>) => Promise<void>;
  /** Once the old Pi is known dead, before anything is waited for or changed: keeps a running daemon off the Pi. */
  readonly hold?: () => Promise<void>;
  readonly progress: (line: string) => void;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface ReplaceOptions {
  readonly rack: RackSpec;
  readonly node: number;
  /** Replace also a Pi that answers with its pinned key. */
  readonly force?: boolean;
  /** The new Pi's MAC, when several unknown MACs lease or to be sure. */
  readonly mac?: string;
  /** How long to wait for the new Pi's lease (and its host key) each time. */
  readonly windowMs: number;
  /** How long to wait for the new Pi at its fixed IP after the reboot. */
  readonly reachTimeoutMs: number;
  readonly pollMs?: number;
}

export interface ReplaceResult {
  readonly node: number;
  readonly ip: string;
  readonly oldMac?: string;
  readonly newMac: string;
  readonly oldFingerprint?: string;
  readonly newFingerprint: string;
  /** Where the new Pi was found before it moved to its fixed IP. */
  readonly leasedIp: string;
  readonly cycledStack: boolean;
  readonly by: string;
  readonly durationMs: number;
}

export const DEFAULT_REPLACE_WINDOW_MS = 90_000;
export const DEFAULT_REPLACE_REACH_MS = 180_000;

function refused(node: number, message: string) {
  return pirackError('PIRACK_ERR_REPLACE_REFUSED', message, { where: `pi ${node}` });
}

/**
 * Pure: the leases that can be the new Pi. Live (not expired), from a MAC neither rack.yaml nor a
 * binding knows, and not on a fixed IP of the rack (a released MAC's lease lingers there).
 */
export function unknownLeases(rack: RackSpec, bindings: Bindings, leases: readonly Lease[], nowMs: number): Lease[] {
  const known = new Set(effectiveMacs(rack, bindings).values());
  const fixed = new Set(rack.nodes.map((n) => n.ip));
  const byMac = new Map<string, Lease>();
  for (const l of leases) {
    if ((l.expiry === 0 || l.expiry * 1000 > nowMs) && !known.has(l.mac) && !fixed.has(l.ip) && !byMac.has(l.mac)) byMac.set(l.mac, l);
  }
  return [...byMac.values()].sort((a, b) => a.mac.localeCompare(b.mac));
}

export type MacChoice =
  | { readonly kind: 'found'; readonly lease: Lease }
  | { readonly kind: 'none' }
  | { readonly kind: 'several'; readonly macs: readonly string[] };

/** Pure: which unknown lease is the new Pi. With `asked`, only that MAC; else exactly one. */
export function chooseLease(candidates: readonly Lease[], asked?: string): MacChoice {
  if (asked !== undefined) {
    const lease = candidates.find((l) => l.mac === normalizeMac(asked));
    return lease ? { kind: 'found', lease } : { kind: 'none' };
  }
  if (candidates.length === 1) return { kind: 'found', lease: candidates[0]! };
  if (candidates.length === 0) return { kind: 'none' };
  return { kind: 'several', macs: candidates.map((l) => l.mac) };
}

/** Pure: the bindings with `node` moved to `mac` (the old binding released in the same write). */
export function rebind(bindings: Bindings, node: NodeSpec, mac: string, at: string): Bindings {
  return { ...bindings, [node.id]: { mac: normalizeMac(mac), stack: node.stack, boundAt: at } };
}

/** Checks that refuse before anything is looked at: unknown Pi, MAC pinned in rack.yaml, a bad --mac. */
export function checkRequest(rack: RackSpec, nodeId: number, mac?: string): NodeSpec {
  const node = rack.nodes.find((n) => n.id === nodeId);
  if (!node)
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `no pi ${nodeId} in ${rack.sourcePath} (Pis: ${rack.nodes.map((n) => n.id).join(', ')}); nothing was changed`,
    );
  if (node.mac !== undefined)
    throw refused(
      nodeId,
      `pi ${nodeId}'s MAC ${node.mac} is pinned in rack.yaml: put the new Pi's MAC there instead (its lease shows it), or remove the pin and run replace; nothing was changed`,
    );
  if (mac !== undefined && !/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(mac.trim()))
    throw pirackError('PIRACK_ERR_USAGE', `--mac: "${mac}" is not a MAC such as b8:27:eb:12:34:56; nothing was changed`);
  return node;
}

export async function runReplace(o: ReplaceOptions, d: ReplaceDeps): Promise<ReplaceResult> {
  const started = d.now();
  const node = checkRequest(o.rack, o.node, o.mac);
  const pollMs = o.pollMs ?? 1000;
  const stack = o.rack.stacks.find((s) => s.id === node.stack);
  const peers = (stack?.nodes ?? []).map((n) => n.id).filter((id) => id !== node.id);
  const say = (line: string) => d.progress(`pi ${node.id}: ${line}`);

  // 1. The old Pi must be gone.
  const alive = await d.isAlive();
  if (alive.alive && !o.force)
    throw refused(
      node.id,
      `pi ${node.id} is not dead: ${alive.why}; replace is for a Pi whose MAC changed (add --force to replace it anyway); nothing was changed`,
    );
  if (alive.alive) say(`${alive.why}, replacing it anyway (--force)`);
  await d.hold?.();

  // 2. Find the new Pi's lease; a relay cycle only with the operator's yes.
  const findLease = async (): Promise<Lease | undefined> => {
    const until = d.now() + o.windowMs;
    for (;;) {
      const choice = chooseLease(unknownLeases(o.rack, await d.readBindings(), await d.readLeases(), d.now()), o.mac);
      if (choice.kind === 'found') return choice.lease;
      if (choice.kind === 'several')
        throw refused(
          node.id,
          `${choice.macs.length} MACs nothing knows hold DHCP leases (${choice.macs.join(', ')}): say which is the new Pi with --mac; nothing was changed`,
        );
      const left = until - d.now();
      if (left <= 0) return undefined;
      say(`waiting for a DHCP lease from ${o.mac ? `MAC ${normalizeMac(o.mac)}` : 'an unknown MAC'} (${Math.ceil(left / 1000)} s left)`);
      await d.sleep(Math.min(pollMs, left));
    }
  };
  const othersCut = peers.length > 0 ? `, and also cut pi ${peers.join(', ')}, which run on it` : '';
  const cycle = async (why: string): Promise<boolean> => {
    const question = `${why}. Cycling stack ${node.stack}'s relay would make it ask${othersCut}. Cycle stack ${node.stack}?`;
    if (!(await d.confirmCycle(question))) return false;
    say(`cycling stack ${node.stack}'s relay`);
    await d.cycleStack();
    return true;
  };
  let cycledStack = false;
  let lease = await findLease();
  if (!lease) {
    const why = `no DHCP lease from ${o.mac ? `MAC ${normalizeMac(o.mac)}` : 'an unknown MAC'} within ${Math.round(o.windowMs / 1000)} s: the new Pi must ask DHCP again (check that it is powered and cabled)`;
    if (!(await cycle(why)))
      throw refused(
        node.id,
        `${why}; cycling stack ${node.stack}'s relay would make it ask${othersCut}: power the new Pi by hand and run replace again, or run \`pirack replace ${node.id} --cycle-stack\`; nothing was changed`,
      );
    cycledStack = true;
    lease = await findLease();
    if (!lease) throw refused(node.id, `${why}, even after cycling stack ${node.stack}; nothing was changed`);
  }
  say(`the new Pi is ${lease.mac} at ${lease.ip}`);

  // 3. Its host key, the operator's yes, then bind and pin.
  const keyUntil = d.now() + o.windowMs;
  let key = await d.scanHostKey(lease.ip);
  while (!key && d.now() < keyUntil) {
    say(`waiting for SSH at ${lease.ip} to read its host key`);
    await d.sleep(pollMs);
    key = await d.scanHostKey(lease.ip);
  }
  if (!key)
    throw refused(
      node.id,
      `the new Pi ${lease.mac} at ${lease.ip} offers no SSH host key (port closed) within ${Math.round(o.windowMs / 1000)} s; nothing was changed`,
    );
  const bindings = await d.readBindings();
  const oldMac = bindings[node.id]?.mac;
  const oldFingerprint = d.pinnedFingerprint();
  const answer = await d.confirm(
    `pi ${node.id} (${node.ip}): bind MAC ${lease.mac} in place of ${oldMac ?? 'none'}, and pin host key ${key.fingerprint} in place of ${oldFingerprint ?? 'none'}?`,
  );
  if (!answer.yes) throw refused(node.id, `not confirmed: add --yes, or answer y; nothing was changed`);
  const next = rebind(bindings, node, lease.mac, new Date(d.now()).toISOString());
  await d.writeBindings(next);
  const entries = hostEntries(o.rack, next);
  await d.writeHosts(oldMac === undefined ? entries : entries.map((e) => (e.node === node.id ? { ...e, previousMacs: [oldMac] } : e)));
  await d.pinHostKey(key);
  await d.record({
    kind: 'pi-replaced',
    target: `pi ${node.id}`,
    message: `replaced, confirmed by ${answer.by}: MAC ${oldMac ?? 'none'} → ${lease.mac}, host key ${oldFingerprint ?? 'none'} → ${key.fingerprint}`,
    result: 'ok',
  });
  say(`bound ${lease.mac} to ${node.ip} and pinned ${key.fingerprint}`);

  // 4. Move it to its fixed IP: a reboot at the lease address; a relay cycle only if that fails.
  try {
    say(`rebooting it at ${lease.ip} so it asks DHCP for ${node.ip}`);
    await d.rebootAt(lease.ip);
  } catch (err) {
    const why = `the new Pi could not be rebooted at ${lease.ip} (${(err as Error).message})`;
    if (!(await cycle(why)))
      throw pirackError(
        'PIRACK_ERR_REPLACE_INCOMPLETE',
        `${why}: it keeps ${lease.ip} until it asks DHCP again. MAC and host key are bound and pinned; reboot it by hand, or run \`pirack power cycle ${node.stack}\` (cuts pi ${[node.id, ...peers].join(', ')})`,
        { where: `pi ${node.id}`, cause: err },
      );
    cycledStack = true;
  }

  // 5. It answers at its fixed IP with the new key.
  const reachUntil = d.now() + o.reachTimeoutMs;
  for (;;) {
    const seen = await d.scanHostKey(node.ip);
    if (seen?.fingerprint === key.fingerprint) break;
    const left = reachUntil - d.now();
    if (left <= 0)
      throw pirackError(
        'PIRACK_ERR_REPLACE_INCOMPLETE',
        `the new Pi did not answer at ${node.ip} with host key ${key.fingerprint} within ${Math.round(o.reachTimeoutMs / 1000)} s; MAC and key are bound and pinned: look at its console, then \`pirack status\``,
        { where: `pi ${node.id}` },
      );
    say(`waiting for it at ${node.ip} (${Math.ceil(left / 1000)} s left)`);
    await d.sleep(Math.min(pollMs, left));
  }
  say(`answers at ${node.ip}`);
  // The dead Pi's MAC has served its purpose (see HostEntry.previousMacs).
  await d.writeHosts(entries);
  return {
    node: node.id,
    ip: node.ip,
    ...(oldMac !== undefined ? { oldMac } : {}),
    newMac: lease.mac,
    ...(oldFingerprint !== undefined ? { oldFingerprint } : {}),
    newFingerprint: key.fingerprint,
    leasedIp: lease.ip,
    cycledStack,
    by: answer.by,
    durationMs: d.now() - started,
  };
}
