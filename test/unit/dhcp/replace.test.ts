import { describe, expect, it } from 'vitest';
import type { Bindings } from '../../../src/dhcp/bindings.ts';
import { renderHostsFile, type HostEntry } from '../../../src/dhcp/hosts.ts';
import type { Lease } from '../../../src/dhcp/leases.ts';
import { chooseLease, runReplace, unknownLeases, type ReplaceDeps, type ScannedKey } from '../../../src/dhcp/replace.ts';
import type { RackEvent } from '../../../src/model/status.ts';
import { makeRack, virtualClock } from './rack-fixture.ts';

const OLD = 'b8:27:eb:00:00:01';
const NEW = 'b8:27:eb:01:00:01';
const rack = makeRack([
  { id: 1, pis: [1, 2] },
  { id: 2, pis: [3, 4] },
]);
const bound: Bindings = {
  1: { mac: OLD, stack: 1, boundAt: 'x' },
  2: { mac: 'b8:27:eb:00:00:02', stack: 1, boundAt: 'x' },
  3: { mac: 'b8:27:eb:00:00:03', stack: 2, boundAt: 'x' },
  4: { mac: 'b8:27:eb:00:00:04', stack: 2, boundAt: 'x' },
};
const key = (fingerprint: string): ScannedKey => ({ blob: Buffer.from(fingerprint), fingerprint });
const lease = (mac: string, ip: string, expiry = 0): Lease => ({ mac, ip, expiry });

describe('which lease is the new Pi', () => {
  const now = 1_700_000_000_000;
  it('counts only live leases of MACs nothing knows, off the fixed IPs', () => {
    const leases = [
      lease(OLD, '10.99.0.101'), // the bound (dead) Pi
      lease('b8:27:eb:09:09:09', '10.99.0.102'), // a stale lease on a fixed IP (a released MAC)
      lease('b8:27:eb:08:08:08', '10.99.0.210', now / 1000 - 5), // expired
      lease(NEW, '10.99.0.200'),
    ];
    expect(unknownLeases(rack, bound, leases, now).map((l) => l.mac)).toEqual([NEW]);
  });

  it('takes exactly one, refuses to guess among several, and --mac picks', () => {
    const a = lease(NEW, '10.99.0.200');
    const b = lease('b8:27:eb:01:00:03', '10.99.0.201');
    expect(chooseLease([a])).toEqual({ kind: 'found', lease: a });
    expect(chooseLease([])).toEqual({ kind: 'none' });
    expect(chooseLease([a, b])).toEqual({ kind: 'several', macs: [NEW, 'b8:27:eb:01:00:03'] });
    expect(chooseLease([a, b], 'B8-27-EB-01-00-03')).toEqual({ kind: 'found', lease: b });
    expect(chooseLease([a], 'b8:27:eb:07:07:07')).toEqual({ kind: 'none' });
  });
});

/** A LAN where the new Pi leases at .200 and, once rebooted, answers at its fixed IP. */
function world(options: { leases?: Lease[]; oldAnswers?: boolean; confirm?: boolean; cycle?: boolean; rebootFails?: boolean } = {}) {
  const clock = virtualClock();
  let bindings: Bindings = bound;
  let hosts: readonly HostEntry[] = [];
  const hostWrites: string[] = [];
  let pin: string | undefined = 'SHA256:old';
  let atFixed = false;
  let leases = options.leases ?? [lease(OLD, '10.99.0.101'), lease(NEW, '10.99.0.200')];
  const events: Omit<RackEvent, 'seq' | 'at'>[] = [];
  const calls: string[] = [];
  const deps: ReplaceDeps = {
    readLeases: async () => leases,
    readBindings: async () => bindings,
    writeBindings: async (b) => {
      calls.push('bind');
      bindings = b;
    },
    writeHosts: async (e) => {
      hosts = e;
      hostWrites.push(renderHostsFile(e));
    },
    pinnedFingerprint: () => pin,
    isAlive: async () => ({ alive: options.oldAnswers === true, why: '10.99.0.101 answers with its pinned host key SHA256:old' }),
    scanHostKey: async (ip) => {
      if (ip === '10.99.0.200' && !atFixed) return key('SHA256:new');
      if (ip === '10.99.0.101' && atFixed) return key('SHA256:new');
      return undefined;
    },
    pinHostKey: async (k) => {
      calls.push('pin');
      pin = k.fingerprint;
    },
    confirm: async () => ({ yes: options.confirm !== false, by: 'alice@master (--yes)' }),
    confirmCycle: async () => {
      calls.push('ask-cycle');
      return options.cycle === true;
    },
    cycleStack: async () => {
      calls.push('cycle');
      leases = [...leases, lease(NEW, '10.99.0.200')];
    },
    rebootAt: async (ip) => {
      calls.push(`reboot ${ip}`);
      if (options.rebootFails) throw new Error('auth refused');
      atFixed = true;
    },
    record: async (e) => void events.push(e),
    hold: async () => void calls.push('hold'),
    progress: () => {},
    now: clock.now,
    sleep: (ms) => clock.sleep(ms),
  };
  return {
    deps,
    events,
    calls,
    hostWrites,
    get bindings() {
      return bindings;
    },
    get hosts() {
      return hosts;
    },
    get pin() {
      return pin;
    },
  };
}

const opts = { rack, node: 1, windowMs: 10_000, reachTimeoutMs: 20_000 };

describe('runReplace', () => {
  it('binds the new MAC in place of the old, pins its key, records the confirmation, reboots it onto its fixed IP', async () => {
    const w = world();
    const result = await runReplace(opts, w.deps);
    expect(result).toMatchObject({
      node: 1,
      oldMac: OLD,
      newMac: NEW,
      oldFingerprint: 'SHA256:old',
      newFingerprint: 'SHA256:new',
      leasedIp: '10.99.0.200',
      cycledStack: false,
    });
    expect(w.bindings[1]?.mac).toBe(NEW);
    expect(w.bindings[3]).toEqual(bound[3]);
    expect(w.pin).toBe('SHA256:new');
    expect(w.calls).toEqual(['hold', 'bind', 'pin', 'reboot 10.99.0.200']);
    expect(w.events).toEqual([
      expect.objectContaining({
        kind: 'pi-replaced',
        target: 'pi 1',
        message: `replaced, confirmed by alice@master (--yes): MAC ${OLD} → ${NEW}, host key SHA256:old → SHA256:new`,
      }),
    ]);
    // While it moves, the dead Pi's MAC rides on the line so dnsmasq lets go of its lease; then the new MAC alone.
    expect(w.hostWrites[0]).toContain(`${NEW},${OLD},10.99.0.101\n`);
    expect(w.hostWrites.at(-1)).toContain(`${NEW},10.99.0.101\n`);
    expect(w.hostWrites.at(-1)).not.toContain(OLD);
  });

  it('refuses a Pi that still answers with its pinned key, changing nothing; --force goes on', async () => {
    const w = world({ oldAnswers: true });
    await expect(runReplace(opts, w.deps)).rejects.toMatchObject({
      code: 'PIRACK_ERR_REPLACE_REFUSED',
      message: expect.stringMatching(/pi 1 is not dead: .*--force/),
    });
    expect(w.calls).toEqual([]);
    expect(w.bindings).toBe(bound);
    const forced = world({ oldAnswers: true });
    expect((await runReplace({ ...opts, force: true }, forced.deps)).newMac).toBe(NEW);
  });

  it('refuses several unknown MACs and asks for --mac, which then picks', async () => {
    const leases = [lease(NEW, '10.99.0.200'), lease('b8:27:eb:01:00:03', '10.99.0.201')];
    const w = world({ leases });
    await expect(runReplace(opts, w.deps)).rejects.toMatchObject({ message: expect.stringMatching(/2 MACs nothing knows .*--mac/) });
    expect(w.calls).toEqual(['hold']);
    expect((await runReplace({ ...opts, mac: NEW }, world({ leases }).deps)).newMac).toBe(NEW);
  });

  it('without a lease in the window: refuses unless the stack cycle is confirmed, naming the other Pis it would cut', async () => {
    const w = world({ leases: [lease(OLD, '10.99.0.101')] });
    await expect(runReplace(opts, w.deps)).rejects.toMatchObject({
      code: 'PIRACK_ERR_REPLACE_REFUSED',
      message: expect.stringMatching(/must ask DHCP again.*also cut pi 2.*pirack replace 1 --cycle-stack.*nothing was changed/),
    });
    expect(w.calls).toEqual(['hold', 'ask-cycle']);
    expect(w.bindings).toBe(bound);
    const cycled = world({ leases: [lease(OLD, '10.99.0.101')], cycle: true });
    const result = await runReplace(opts, cycled.deps);
    expect(result.cycledStack).toBe(true);
    expect(cycled.calls).toEqual(['hold', 'ask-cycle', 'cycle', 'bind', 'pin', 'reboot 10.99.0.200']);
  });

  it('changes nothing without the confirmation', async () => {
    const w = world({ confirm: false });
    await expect(runReplace(opts, w.deps)).rejects.toMatchObject({ message: expect.stringMatching(/not confirmed.*--yes/) });
    expect(w.calls).toEqual(['hold']);
    expect(w.events).toEqual([]);
  });

  it('a new Pi that cannot be rebooted is bound and pinned, and the message says what is left', async () => {
    const w = world({ rebootFails: true });
    await expect(runReplace(opts, w.deps)).rejects.toMatchObject({
      code: 'PIRACK_ERR_REPLACE_INCOMPLETE',
      message: expect.stringMatching(/could not be rebooted at 10\.99\.0\.200 \(auth refused\).*pirack power cycle 1/),
    });
    expect(w.bindings[1]?.mac).toBe(NEW);
  });

  it('refuses a MAC pinned in rack.yaml before looking at anything', async () => {
    const pinned = makeRack([{ id: 1, pis: [{ id: 1, mac: OLD }, 2] }]);
    const w = world();
    await expect(runReplace({ ...opts, rack: pinned }, w.deps)).rejects.toMatchObject({
      message: expect.stringMatching(/pinned in rack\.yaml/),
    });
    expect(w.calls).toEqual([]);
  });
});
