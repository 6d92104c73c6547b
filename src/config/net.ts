/** IPv4 helpers for the semantic rules, tolerant of bad input (the schema reports that). */
import ipaddr from 'ipaddr.js';

export function ipToInt(ip: string): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return undefined;
  return ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
}

export interface Subnet {
  readonly network: number;
  readonly bits: number;
  readonly first: number;
  readonly last: number;
}

export function parseSubnet(cidr: string): Subnet | undefined {
  try {
    const [addr, bits] = ipaddr.IPv4.parseCIDR(cidr);
    const size = 2 ** (32 - bits);
    const raw = addr.toByteArray().reduce((n, b) => n * 256 + b, 0);
    const network = raw - (raw % size);
    return { network, bits, first: network, last: network + size - 1 };
  } catch {
    return undefined;
  }
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function inSubnet(ip: number, s: Subnet): boolean {
  return ip >= s.first && ip <= s.last;
}
