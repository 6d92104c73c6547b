/**
 * Waiting for booted Pis: each must hold a DHCP lease and answer on TCP port 22 at that address.
 * Bounded, polling the leases file and connecting from the root namespace across the bridge.
 */
import { connect } from 'node:net';
import { readLeases } from './dnsmasq.ts';
import { sleep } from './process.ts';

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitTarget {
  readonly id: number;
  readonly mac: string;
}

export interface WaitResult {
  /** Pi id → address it answered on. */
  readonly ready: ReadonlyMap<number, string>;
  readonly missing: readonly number[];
}

/** Polls until every target holds a lease and accepts on :22, or the deadline passes. */
export async function waitForPis(
  dir: string,
  targets: readonly WaitTarget[],
  timeoutMs: number,
  onProgress?: (ready: number, total: number) => void,
): Promise<WaitResult> {
  const ready = new Map<number, string>();
  const deadline = Date.now() + timeoutMs;
  let reported = -1;
  while (ready.size < targets.length && Date.now() < deadline) {
    const leases = await readLeases(dir);
    await Promise.all(
      targets
        .filter((t) => !ready.has(t.id))
        .map(async (t) => {
          const lease = leases.find((l) => l.mac === t.mac.toLowerCase());
          if (lease && (await tcpOpen(lease.ip, 22, 500))) ready.set(t.id, lease.ip);
        }),
    );
    if (ready.size !== reported) {
      reported = ready.size;
      onProgress?.(ready.size, targets.length);
    }
    if (ready.size < targets.length) await sleep(250);
  }
  return { ready, missing: targets.filter((t) => !ready.has(t.id)).map((t) => t.id) };
}
