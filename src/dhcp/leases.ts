/**
 * dnsmasq's leases file: `<expiry epoch s> <mac> <ip> <hostname|*> <client-id|*>` per line (a
 * `duid` line appears with DHCPv6). Lines PiRack cannot read are reported, never fatal. dnsmasq
 * rewrites the file in place, so the watcher debounces bursts of change events into one.
 */
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { pirackError } from '../errors.ts';
import { normalizeMac } from './hosts.ts';

export interface Lease {
  /** Epoch seconds the lease expires; 0 for an infinite lease. */
  readonly expiry: number;
  readonly mac: string;
  readonly ip: string;
  readonly hostname?: string;
  readonly clientId?: string;
}

export interface LeaseGarbage {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ParsedLeases {
  readonly leases: readonly Lease[];
  readonly garbage: readonly LeaseGarbage[];
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseLeases(text: string): ParsedLeases {
  const leases: Lease[] = [];
  const garbage: LeaseGarbage[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('duid ')) return;
    const bad = (reason: string) => garbage.push({ line: i + 1, text: line.slice(0, 200), reason });
    const f = line.split(/\s+/);
    if (f.length < 4) return bad(`expected 5 fields, got ${f.length}`);
    const [expiryText, mac, ip, hostname, clientId] = f as [string, string, string, string, string | undefined];
    const expiry = Number(expiryText);
    if (!/^\d+$/.test(expiryText) || !Number.isSafeInteger(expiry)) return bad('expiry is not a number');
    if (!MAC.test(mac)) return bad(`not an Ethernet MAC: ${mac}`);
    const m = IPV4.exec(ip);
    if (!m || m.slice(1).some((o) => Number(o) > 255)) return bad(`not an IPv4 address: ${ip}`);
    leases.push({
      expiry,
      mac: normalizeMac(mac),
      ip,
      ...(hostname !== '*' ? { hostname } : {}),
      ...(clientId !== undefined && clientId !== '*' ? { clientId } : {}),
    });
  });
  return { leases, garbage };
}

/** Reads and parses the leases file; a missing file is no leases (dnsmasq has not written one yet). */
export async function readLeases(path: string): Promise<ParsedLeases> {
  try {
    return parseLeases(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { leases: [], garbage: [] };
    throw pirackError('PIRACK_ERR_DHCP', `cannot read the leases file ${path}: ${(e as Error).message}`, { cause: e, where: path });
  }
}

export interface LeaseWatchOptions {
  /** Quiet time after the last change before reading; default 200 ms. */
  readonly debounceMs?: number;
  /** Called when a read fails (the watch goes on). */
  readonly onError?: (error: unknown) => void;
  /** Builds the file watcher; tests may swap it. Default chokidar. */
  readonly watchFile?: (path: string) => Pick<FSWatcher, 'on' | 'close'>;
}

export interface LeaseWatch {
  close(): Promise<void>;
}

/**
 * Calls `onChange` with the parsed file after each burst of changes (and once at start); a file
 * that appears later (dnsmasq not started yet) is reported when it does.
 */
export function watchLeases(path: string, onChange: (leases: ParsedLeases) => void, options: LeaseWatchOptions = {}): LeaseWatch {
  const debounceMs = options.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const fire = () => {
    timer = undefined;
    readLeases(path).then(
      (parsed) => !closed && onChange(parsed),
      (err) => options.onError?.(err),
    );
  };
  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  const watcher = (options.watchFile ?? ((p: string) => watch(p, { ignoreInitial: true, awaitWriteFinish: false })))(path);
  watcher.on('add', schedule);
  watcher.on('change', schedule);
  watcher.on('unlink', schedule);
  schedule();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
