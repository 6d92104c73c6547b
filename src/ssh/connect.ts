/**
 * One login to one Pi: handshake with the host key checked against the pins before anything is
 * sent, then key authentication, then (a freshly flashed Pi) the bootstrap password.
 */
import type { Logger } from 'pino';
import type { AnyAuthMethod, AuthenticationType, Client, ConnectConfig, NextAuthHandler, ParsedKey, VerifyCallback } from 'ssh2';
import type { PiRackError } from '../errors.ts';
import type { HostKeyStore } from './hostkeys.ts';
import { mapConnectError, type SshWhere } from './map-error.ts';
import type { Secret } from './secret.ts';

/** Creates a Client and starts connecting it; tests swap it to watch or alter connections. */
export type SshConnectFactory = (config: ConnectConfig) => Client;

/** One way to log in; the password stays wrapped until ssh2 asks for it. */
export type LoginMethod =
  | { readonly type: 'publickey'; readonly username: string; readonly key: ParsedKey }
  | { readonly type: 'password'; readonly username: string; readonly password: Secret };

export interface ConnectRequest {
  readonly target: SshWhere;
  /** Tried in order within one connection. */
  readonly methods: readonly LoginMethod[];
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  readonly hostKeys: HostKeyStore;
  readonly connect: SshConnectFactory;
  readonly log: Logger;
}

export interface OpenedConnection {
  readonly client: Client;
  /** The login that succeeded was the bootstrap password. */
  readonly usedBootstrap: boolean;
  /** Who is logged in: a user other than root works through sudo. */
  readonly user: string;
}

/**
 * Resolves once logged in. Rejects with SSH_UNREACHABLE, SSH_AUTH, SSH_HOSTKEY_CHANGED (the
 * node is quarantined, nothing was sent) or STATE (the pins could not be read or written; the
 * connection is refused rather than trusted). The client is ended on failure.
 */
export function openConnection(req: ConnectRequest): Promise<OpenedConnection> {
  const { target, log } = req;
  return new Promise<OpenedConnection>((resolve, reject) => {
    let settled = false;
    let hostKeyRejected = false;
    let storeError: PiRackError | undefined;
    let current: LoginMethod | undefined;
    const queue = [...req.methods];

    const hostVerifier = (key: Buffer, verify: VerifyCallback): void => {
      req.hostKeys.check(target.node, target.host, key).then(
        (verdict) => {
          if (verdict.kind === 'pinned') {
            log.info({ keyType: verdict.pin.keyType, fingerprint: verdict.pin.fingerprint }, 'pinned host key on first contact');
          } else if (verdict.kind === 'mismatch') {
            hostKeyRejected = true;
            log.error(
              { pinned: verdict.pinned.fingerprint, seen: verdict.seen.fingerprint, keyType: verdict.seen.keyType },
              'host key changed: node quarantined until `pirack hostkey repin`',
            );
          }
          verify(verdict.kind !== 'mismatch');
        },
        (err: PiRackError) => {
          storeError = err;
          verify(false);
        },
      );
    };

    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
      let method = queue.shift();
      // The server lists what it still accepts; skip what it would refuse anyway.
      while (method && methodsLeft && !methodsLeft.includes(method.type)) method = queue.shift();
      current = method;
      if (!method) {
        (next as (auth: AnyAuthMethod | false) => void)(false);
        return;
      }
      if (method.type === 'publickey') next({ type: 'publickey', username: method.username, key: method.key });
      else next({ type: 'password', username: method.username, password: method.password.reveal() });
    };

    const first = req.methods[0];
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: first?.username ?? 'root',
      readyTimeout: req.connectTimeoutMs,
      keepaliveInterval: req.keepaliveIntervalMs,
      keepaliveCountMax: req.keepaliveCountMax,
      hostVerifier,
      authHandler: authHandler as ConnectConfig['authHandler'],
    };

    const fail = (client: Client | undefined, err: unknown): void => {
      if (settled) return;
      settled = true;
      reject(storeError ?? mapConnectError(err, target, { connectTimeoutMs: req.connectTimeoutMs, hostKeyRejected }));
      try {
        client?.end();
      } catch {
        /* already gone */
      }
    };

    let client: Client;
    try {
      client = req.connect(config);
    } catch (err) {
      fail(undefined, err);
      return;
    }
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      resolve({ client, usedBootstrap: current?.type === 'password', user: current?.username ?? config.username ?? 'root' });
    });
    client.on('error', (err: Error) => fail(client, err));
    client.once('close', () => fail(client, undefined));
  });
}
