/**
 * "Does the Pi answer at its fixed IP": a TCP connection to its SSH port, which is what every
 * later controller needs anyway (ICMP would need raw sockets and proves less).
 */
import { connect } from 'node:net';

export function tcpReachable(port: number, timeoutMs = 2000): (ip: string, signal: AbortSignal) => Promise<boolean> {
  return (ip, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const socket = connect({ host: ip, port });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}
