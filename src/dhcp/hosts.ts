/**
 * dnsmasq's --dhcp-hostsfile: one `MAC,IP` line per enlisted Pi. Written atomically (a reader
 * never sees half a file) and dnsmasq is sent SIGHUP to re-read it, but only when the content
 * changed: a SIGHUP also makes dnsmasq re-read every other file and clear its cache.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { pirackError } from '../errors.ts';
import { writeFileAtomic } from '../state/atomic.ts';

/** One static host entry: the Pi with this MAC always gets this IP. */
export interface HostEntry {
  readonly mac: string;
  readonly ip: string;
  /** Node id, for messages only: dnsmasq's syntax has no place for it. */
  readonly node?: number;
  /**
   * MACs of the hardware this Pi replaced (`pirack replace`, while it moves): written after `mac`
   * on the same line, which lets dnsmasq abandon the dead Pi's lease on the fixed IP when the new
   * one asks (otherwise it refuses the configured address until that lease expires). A reader
   * sees the line as `mac` alone.
   */
  readonly previousMacs?: readonly string[];
}

export const HOSTS_HEADER = '# Written by PiRack from rack.yaml and the enlisted MAC bindings; edits are overwritten.';

function ipKey(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Normalises a MAC to lower case with colons. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

/** The file's text: header, then entries sorted by IP (then MAC) so equal sets give equal text. */
export function renderHostsFile(entries: readonly HostEntry[]): string {
  const lines = [...entries]
    .map((e) => ({ mac: normalizeMac(e.mac), ip: e.ip, previous: (e.previousMacs ?? []).map(normalizeMac) }))
    .sort((a, b) => ipKey(a.ip) - ipKey(b.ip) || a.mac.localeCompare(b.mac))
    .map((e) => [e.mac, ...e.previous, e.ip].join(','));
  return `${HOSTS_HEADER}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}

/** Reads `MAC,IP[,…]` lines; comments and lines without both are ignored. */
export function parseHostsFile(text: string): HostEntry[] {
  const entries: HostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    const mac = fields.find((f) => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(f));
    const ip = fields.find((f) => /^\d{1,3}(\.\d{1,3}){3}$/.test(f));
    if (mac && ip) entries.push({ mac: normalizeMac(mac), ip });
  }
  return entries;
}

// Entry lists are replaced, never changed (the hosts file read, the enlist plan's MAC view), so each
// list's set of lines is worked out once.
const lineSets = new WeakMap<readonly HostEntry[], ReadonlySet<string>>();

function entryLines(entries: readonly HostEntry[]): ReadonlySet<string> {
  let lines = lineSets.get(entries);
  if (!lines) lineSets.set(entries, (lines = new Set(entries.map((e) => `${e.mac.toLowerCase()},${e.ip}`))));
  return lines;
}

/** Whether two entry sets are the same, ignoring order and MAC case. */
export function sameHostEntries(a: readonly HostEntry[], b: readonly HostEntry[]): boolean {
  // A set comparison, not two sorted renderings: the enlist plan runs it every rack pass (5,000 Pis in the bench).
  if (a === b) return true;
  const left = entryLines(a);
  const right = entryLines(b);
  if (left.size !== right.size) return false;
  for (const l of left) if (!right.has(l)) return false;
  return true;
}

export interface WriteHostsOptions {
  /** dnsmasq's pid file; when absent no signal is sent. */
  readonly pidFile?: string;
  /** Sends the signal; default process.kill. */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
  readonly log?: Logger;
  /** Skip fsync (tests). */
  readonly noSync?: boolean;
}

export interface WriteHostsResult {
  readonly changed: boolean;
  /** PID that received SIGHUP, when one did. */
  readonly signalled?: number;
}

/** Reads the current hosts file; undefined when it does not exist. */
export async function readHostsFile(path: string): Promise<HostEntry[] | undefined> {
  try {
    return parseHostsFile(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw pirackError('PIRACK_ERR_DHCP', `cannot read ${path}: ${(e as Error).message}`, { cause: e, where: path });
  }
}

/**
 * Writes the hosts file when its content differs, then SIGHUPs dnsmasq. Throws PIRACK_ERR_DHCP
 * (or STATE from the atomic write). A failure to signal leaves the new file in place: dnsmasq
 * reads it at its next start or SIGHUP.
 */
export async function writeHostsFile(
  path: string,
  entries: readonly HostEntry[],
  options: WriteHostsOptions = {},
): Promise<WriteHostsResult> {
  const text = renderHostsFile(entries);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return { changed: false };
  await writeFileAtomic(path, text, { mode: 0o644, ...(options.noSync ? { noSync: true } : {}) });
  options.log?.info({ path, entries: entries.length }, 'dnsmasq hosts file written');
  if (options.pidFile === undefined) return { changed: true };
  const pid = await readPid(options.pidFile);
  try {
    (options.kill ?? process.kill)(pid, 'SIGHUP');
  } catch (cause) {
    throw pirackError('PIRACK_ERR_DHCP', `wrote ${path} but could not SIGHUP dnsmasq (pid ${pid}): ${(cause as Error).message}`, {
      cause,
      where: options.pidFile,
    });
  }
  return { changed: true, signalled: pid };
}

async function readPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (cause) {
    throw pirackError('PIRACK_ERR_DHCP', `cannot read dnsmasq's pid file ${pidFile}: is dnsmasq running?`, { cause, where: pidFile });
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1)
    throw pirackError('PIRACK_ERR_DHCP', `dnsmasq's pid file ${pidFile} holds no pid`, { where: pidFile });
  return pid;
}
