/**
 * Turns what ssh2 and the socket report into the error catalogue's codes, so the reconcile loop
 * decides on retries by code and the operator reads one clear line per failure.
 */
import { pirackError, type PiRackError } from '../errors.ts';

/** Where a failure happened, for the message's `where`. */
export interface SshWhere {
  readonly node: number;
  readonly host: string;
  readonly port: number;
}

export function whereOf(target: SshWhere): string {
  return `pi ${target.node} (${target.host})`;
}

/** Socket errors that mean "no SSH server answering there", as opposed to one that refused us. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EHOSTDOWN',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

interface Ssh2Error extends Error {
  readonly level?: string;
  readonly code?: string;
}

/**
 * Maps a failure to connect (before the connection was ready). `hostKeyRejected` is set by our
 * hostVerifier: ssh2 then reports a generic handshake failure, which alone would read as a
 * network problem.
 */
export function mapConnectError(
  err: unknown,
  target: SshWhere,
  info: { readonly connectTimeoutMs: number; readonly hostKeyRejected: boolean },
): PiRackError {
  const where = whereOf(target);
  if (info.hostKeyRejected) {
    return pirackError(
      'PIRACK_ERR_SSH_HOSTKEY_CHANGED',
      'the host key differs from the pinned one; the Pi is quarantined and nothing was sent to it',
      { cause: err, where },
    );
  }
  const e = (err ?? {}) as Ssh2Error;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (e.level === 'client-authentication') {
    return pirackError('PIRACK_ERR_SSH_AUTH', `login as the configured user was refused (${e.message})`, { cause: err, where });
  }
  if (e.level === 'client-timeout') {
    return pirackError('PIRACK_ERR_SSH_UNREACHABLE', `no SSH handshake within ${info.connectTimeoutMs} ms`, { cause: err, where });
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return pirackError('PIRACK_ERR_SSH_UNREACHABLE', `cannot reach SSH on port ${target.port}: ${code}`, { cause: err, where });
  }
  const message = e.message ? `SSH connection failed: ${e.message}` : 'SSH connection closed before login completed';
  return pirackError('PIRACK_ERR_SSH_UNREACHABLE', message, { cause: err, where });
}

/** A session channel could not be opened on a connection that was up. */
export function channelError(err: unknown, target: SshWhere): PiRackError {
  const message = err instanceof Error ? err.message : String(err);
  return pirackError('PIRACK_ERR_SSH_CHANNEL', `cannot open an SSH session: ${message}`, { cause: err, where: whereOf(target) });
}
