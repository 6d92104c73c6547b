/**
 * The lab's network: a bridge holding the master's address in the root namespace and, per Pi, a
 * namespace whose eth0 is one end of a veth pair plugged into the bridge. Every name carries the
 * lab's prefix, so cleanup can find what a crash left without touching anything else.
 */
import { readFileSync } from 'node:fs';
import { safetyRouteCommands } from '../net/safety-routes.ts';
import { mustExec, type Exec } from './exec.ts';
import { BRIDGE, LAB_PREFIX, MASTER_IP, VETH_PREFIX, labMac, netnsName, vethName } from './paths.ts';

/**
 * Routes private ranges nowhere unless something more specific (the lab's /24 on the bridge)
 * says otherwise, so a lab address can never leak to a real network such as the rack's
 * 192.168.23.0/24. Left in place by `lab down`: it is a safety net, not lab state.
 */
/**
 * The safety net (src/net/safety-routes.ts): unreachable routes for the private ranges, with a
 * private DNS resolver kept reachable. Returns the `ip` commands it ran.
 */
export async function ensureSafetyRoutes(exec: Exec, resolvConf: string = readResolvConf()): Promise<string[]> {
  const shown = await mustExec(exec, 'ip', ['route', 'show']);
  const commands = safetyRouteCommands(shown.stdout, resolvConf);
  for (const args of commands) await mustExec(exec, 'ip', args);
  return commands.map((args) => `ip ${args.join(' ')}`);
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export async function linkExists(exec: Exec, name: string): Promise<boolean> {
  return (await exec('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Creates the bridge with the master's address (idempotent). */
export async function ensureBridge(exec: Exec): Promise<void> {
  if (!(await linkExists(exec, BRIDGE))) {
    // No STP and no forwarding delay: a Pi's port must pass DHCP the moment it boots.
    await mustExec(exec, 'ip', ['link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  }
  const addr = await mustExec(exec, 'ip', ['-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addr.stdout.includes(`${MASTER_IP}/24`)) await mustExec(exec, 'ip', ['addr', 'add', `${MASTER_IP}/24`, 'dev', BRIDGE]);
  await mustExec(exec, 'ip', ['link', 'set', BRIDGE, 'up']);
}

/** The argv lists that give Pi `id` its namespace and wire (pure, for tests). */
export function piNetCommands(id: number): string[][] {
  return netCommands(netnsName(id), vethName(id), labMac(id));
}

/**
 * A namespace `ns` whose eth0 (MAC `mac`) is one end of a veth pair, the other end `host`
 * plugged into the bridge: a Pi's or the virtual master's wire.
 */
export function netCommands(ns: string, host: string, mac: string): string[][] {
  // The peer gets a temporary name with our prefix until it is inside the namespace.
  const peer = `${host}p`;
  return [
    ['netns', 'add', ns],
    ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'address', mac, 'netns', ns],
    ['-n', ns, 'link', 'set', peer, 'name', 'eth0'],
    ['-n', ns, 'link', 'set', 'lo', 'up'],
    ['-n', ns, 'link', 'set', 'eth0', 'up'],
    ['link', 'set', host, 'master', BRIDGE, 'up'],
  ];
}

export async function createPiNet(exec: Exec, id: number): Promise<void> {
  for (const args of piNetCommands(id)) await mustExec(exec, 'ip', args);
}

export async function listLabNetns(exec: Exec): Promise<string[]> {
  const out = await exec('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(LAB_PREFIX));
}

/** Links in the root namespace that the lab made: the bridge and host-side veths. */
export async function listLabLinks(exec: Exec): Promise<string[]> {
  const out = await exec('ip', ['-o', 'link', 'show']);
  const names: string[] = [];
  for (const line of out.stdout.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    const name = m?.[1];
    if (name && (name.startsWith(LAB_PREFIX) || new RegExp(`^${VETH_PREFIX}\\d+p?$`).test(name))) names.push(name);
  }
  return names;
}

/** Deletes every lab namespace and link; the caller must have stopped the processes in them. */
export async function deleteLabNetwork(exec: Exec): Promise<{ netns: string[]; links: string[] }> {
  const netns = await listLabNetns(exec);
  for (const ns of netns) await exec('ip', ['netns', 'del', ns]);
  const links = await listLabLinks(exec);
  // veths first (deleting one end removes its peer), the bridge last.
  for (const link of links.sort((a, b) => Number(a === BRIDGE) - Number(b === BRIDGE))) {
    await exec('ip', ['link', 'del', link]);
  }
  return { netns, links };
}
