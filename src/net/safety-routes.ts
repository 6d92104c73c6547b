/**
 * The safety net: `unreachable` routes for every private range, so that nothing PiRack's tests or
 * lab send can leave this machine for a private address by accident. The lab's own subnet on its
 * bridge is more specific and still works.
 *
 * One exception is needed for the machine to keep working: a DNS resolver that itself sits at a
 * private address (cloud VMs often have one) would become unreachable, and with it the package
 * registries. Each such resolver gets a /32 route through the current default gateway, which is
 * exactly the path its packets took before.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

function isPrivate(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168);
}

export function privateResolvers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line)?.[1])
    .filter((ip): ip is string => ip !== undefined && isPrivate(ip));
}

export function defaultGateway(routes: string): { via: string; dev: string } | undefined {
  const match = /^default via (\S+) dev (\S+)/m.exec(routes);
  return match ? { via: match[1]!, dev: match[2]! } : undefined;
}

/** The `ip` argument lists that install the safety net; pure, for tests and `--dry-run`. */
export function safetyRouteCommands(existingRoutes: string, resolvConf: string): string[][] {
  const commands: string[][] = [];
  const gateway = defaultGateway(existingRoutes);
  for (const resolver of privateResolvers(resolvConf)) {
    if (gateway && !new RegExp(`^${resolver.replace(/\./g, '\\.')}( |/32 )`, 'm').test(existingRoutes)) {
      commands.push(['route', 'add', `${resolver}/32`, 'via', gateway.via, 'dev', gateway.dev]);
    }
  }
  for (const range of PRIVATE_RANGES) {
    if (!new RegExp(`^unreachable ${range.replace(/\./g, '\\.')}`, 'm').test(existingRoutes)) {
      commands.push(['route', 'add', 'unreachable', range]);
    }
  }
  return commands;
}

/** Installs the safety net on this machine (root); returns what it added. Idempotent. */
export function installSafetyRoutes(): string[] {
  const routes = execFileSync('ip', ['route', 'show'], { encoding: 'utf8' });
  let resolvConf = '';
  try {
    resolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // No resolver configured: nothing to keep reachable.
  }
  const commands = safetyRouteCommands(routes, resolvConf);
  for (const args of commands) execFileSync('ip', args, { stdio: 'ignore' });
  return commands.map((args) => `ip ${args.join(' ')}`);
}
