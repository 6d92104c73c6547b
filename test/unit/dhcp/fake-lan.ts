/**
 * A simulated rack network for enlistment tests: each fake Pi, once its stack has been on for its
 * boot time, holds a dnsmasq lease (renewed at each boot) and answers at its fixed IP once the
 * hosts file maps its MAC to that IP and it booted after the hosts file was written.
 */
import type { Lease } from '../../../src/dhcp/leases.ts';
import type { HostEntry } from '../../../src/dhcp/hosts.ts';
import type { Bindings } from '../../../src/dhcp/bindings.ts';
import type { PowerState } from '../../../src/model/desired.ts';

export interface FakePi {
  readonly mac: string;
  readonly stack: number;
  /** Boot time until its DHCP request, ms. */
  readonly bootMs: number;
}

export class FakeLan {
  readonly leases = new Map<string, Lease>();
  readonly onSince = new Map<number, number>();
  hosts: readonly HostEntry[] = [];
  hostsWrittenAt = -Infinity;
  bindings: Bindings = {};
  readonly hostsWrites: (readonly HostEntry[])[] = [];

  constructor(
    readonly pis: readonly FakePi[],
    private readonly now: () => number,
  ) {}

  /** Wire to FakeRelay.onSet. */
  power(stack: number, state: PowerState): void {
    if (state === 'on') this.onSince.set(stack, this.now());
    else this.onSince.delete(stack);
  }

  /** A lease left over from earlier (the Pi may be off now). */
  staleLease(mac: string, expiry: number): void {
    this.leases.set(mac, { mac, ip: '10.99.0.222', expiry });
  }

  private tick(): void {
    for (const pi of this.pis) {
      const since = this.onSince.get(pi.stack);
      if (since === undefined || this.now() < since + pi.bootMs) continue;
      const expiry = Math.floor((since + pi.bootMs) / 1000) + 3600;
      const old = this.leases.get(pi.mac);
      if (!old || old.expiry < expiry)
        this.leases.set(pi.mac, { mac: pi.mac, ip: this.ipFor(pi.mac) ?? `10.99.0.${200 + this.leases.size}`, expiry });
    }
  }

  private ipFor(mac: string): string | undefined {
    return this.hosts.find((h) => h.mac === mac)?.ip;
  }

  readLeases = async (): Promise<Lease[]> => {
    this.tick();
    return [...this.leases.values()];
  };

  writeHosts = async (entries: readonly HostEntry[]) => {
    this.hosts = entries;
    this.hostsWrittenAt = this.now();
    this.hostsWrites.push(entries);
    return { changed: true };
  };

  readBindings = async () => this.bindings;
  writeBindings = async (b: Bindings) => {
    this.bindings = b;
  };

  isReachable = async (ip: string): Promise<boolean> => {
    const entry = this.hosts.find((h) => h.ip === ip);
    const pi = entry && this.pis.find((p) => p.mac === entry.mac);
    if (!pi) return false;
    const since = this.onSince.get(pi.stack);
    return since !== undefined && since >= this.hostsWrittenAt && this.now() >= since + pi.bootMs;
  };
}
