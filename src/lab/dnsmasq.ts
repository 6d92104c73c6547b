/**
 * Real dnsmasq on the bridge: a dynamic range for Pis not enlisted yet, a hosts file of fixed
 * addresses (re-read on SIGHUP), a leases file. DNS is off (--port=0): the lab only needs DHCP.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { BRIDGE, DYNAMIC_RANGE, labFiles } from './paths.ts';
import { spawnDetached, type RecordedPid } from './process.ts';

/** One fixed address: dnsmasq --dhcp-hostsfile line `MAC,IP`. */
export interface HostEntry {
  readonly mac: string;
  readonly ip: string;
}

export function hostsFileText(entries: readonly HostEntry[]): string {
  return entries.map((e) => `${e.mac},${e.ip}\n`).join('');
}

export async function writeHostsFile(file: string, entries: readonly HostEntry[]): Promise<void> {
  const tmp = `${file}.tmp`;
  // dnsmasq drops to nobody and re-reads this file on SIGHUP: it must stay world-readable.
  await writeFile(tmp, hostsFileText(entries), { mode: 0o644 });
  await rename(tmp, file);
}

export function dnsmasqArgs(dir: string): string[] {
  const f = labFiles(dir);
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${BRIDGE}`,
    '--bind-interfaces',
    '--except-interface=lo',
    `--dhcp-range=${DYNAMIC_RANGE[0]},${DYNAMIC_RANGE[1]},1h`,
    `--dhcp-hostsfile=${f.dhcpHosts}`,
    `--dhcp-leasefile=${f.leases}`,
    `--pid-file=${f.dnsmasqPid}`,
    '--dhcp-authoritative',
    '--log-dhcp',
    `--log-facility=${f.dnsmasqLog}`,
  ];
}

export function startDnsmasq(dir: string): Promise<RecordedPid> {
  return spawnDetached('/usr/sbin/dnsmasq', dnsmasqArgs(dir), `${labFiles(dir).dnsmasqLog}.stderr`);
}

/** One line of dnsmasq's leases file. */
export interface Lease {
  /** Unix seconds; 0 means infinite. */
  readonly expiry: number;
  readonly mac: string;
  readonly ip: string;
  readonly hostname?: string;
}

export function parseLeases(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const line of text.split('\n')) {
    const [expiry, mac, ip, hostname] = line.trim().split(/\s+/);
    if (!expiry || !mac || !ip || !/^\d+$/.test(expiry)) continue;
    leases.push({ expiry: Number(expiry), mac: mac.toLowerCase(), ip, ...(hostname && hostname !== '*' ? { hostname } : {}) });
  }
  return leases;
}

export async function readLeases(dir: string): Promise<Lease[]> {
  return parseLeases(await readFile(labFiles(dir).leases, 'utf8').catch(() => ''));
}
