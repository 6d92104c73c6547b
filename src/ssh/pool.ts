/**
 * The SshRunner PiRack uses on a real rack: one persistent ssh2 connection per Pi, opened on first
 * use, shared by every exec to that Pi up to a session limit, dropped when it dies and re-opened
 * with capped backoff. Effects (the ssh2 client factory, the clock, the logger) come in through
 * the options so tests can swap them.
 */
import type { Logger } from 'pino';
// ssh2 is CommonJS: Node's ESM loader cannot see its named exports, so take them off the default.
import ssh2, { type Client as SshClient, type ConnectConfig, type ParsedKey } from 'ssh2';

const { Client, utils } = ssh2;
import { isPiRackError, pirackError, type PiRackError } from '../errors.ts';
import { DEFAULT_RECONNECT_BACKOFF } from './backoff.ts';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.ts';
import { openConnection, type LoginMethod, type SshConnectFactory } from './connect.ts';
import type { HostKeyStore } from './hostkeys.ts';
import { whereOf } from './map-error.ts';
import { runOnChannel } from './run-channel.ts';
import type { Secret } from './secret.ts';
import { Semaphore } from './semaphore.ts';
import { sudoCommand, sudoResult, sudoStdin } from './sudo.ts';
import { openStreamChannel } from './stream-channel.ts';
import type { ExecOptions, ExecResult, ExecStream, SshRunner, SshStreamer, SshTarget, StreamOptions } from './types.ts';

/** Password login for a freshly flashed Pi, tried only when the key is refused. */
export interface BootstrapCredentials {
  readonly user: string;
  /** Wrapped so that no log line, JSON or inspect can print it. */
  readonly password: Secret;
}

export interface SshPoolOptions {
  readonly user: string;
  /** Used when a target's port is 0; a target's own port wins. */
  readonly port?: number;
  /** The private key's file content, read by the caller. */
  readonly privateKey: Buffer;
  readonly bootstrap?: BootstrapCredentials;
  /**
   * The sudo password of `user` when it is not root (stock Raspberry Pi OS). Absent: sudo must
   * not ask (NOPASSWD). A bootstrap login as another user uses that user's bootstrap password.
   */
  readonly sudoPassword?: Secret;
  /** Bound on TCP connect + handshake + login (ssh2 readyTimeout). */
  readonly connectTimeoutMs: number;
  /** Default bound on one exec, from channel request to exit; ExecOptions.timeoutMs overrides it. */
  readonly execTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is declared dead. Default 3. */
  readonly keepaliveCountMax?: number;
  /** Sessions open at once on one connection; more execs queue. Keep it below the Pis' MaxSessions (10). */
  readonly maxSessionsPerConnection: number;
  readonly hostKeys: HostKeyStore;
  readonly log: Logger;
  /** Wall clock for backoff decisions. Default Date.now. */
  readonly now?: () => number;
  /** Creates and starts an ssh2 Client. Default: `new Client().connect(config)`. */
  readonly connect?: SshConnectFactory;
  /** Reconnect spacing after failures. Default 500 ms doubling to 30 s. */
  readonly reconnectBackoff?: BackoffPolicy;
  /** The backoff's jitter source, [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Per stream of one exec. Default 16 MiB. */
  readonly maxOutputBytes?: number;
  /** How long a stopped command's channel may take to close before the connection is dropped. Default 5 s. */
  readonly closeGraceMs?: number;
}

/** The pool: an SshRunner, the watch stream's long-lived channel, and what the daemon needs to watch it. */
export interface SshPool extends SshRunner, SshStreamer {
  /** Consecutive failed connects and when the next attempt is allowed (epoch ms), for status. */
  backoffState(node: number): { readonly failures: number; readonly nextAttemptAt: number } | undefined;
  /**
   * Lifts the node's connect backoff, keeping any live connection: something says the Pi is back
   * (the watch stream's retry, a DHCP lease, its port answering), so the next connect goes now.
   */
  retryNow(node: number): void;
}

interface Live {
  readonly client: SshClient;
  readonly sessions: Semaphore;
  readonly host: string;
  readonly port: number;
  /** Set when the socket has closed; an ended client is simply no longer in the node's state. */
  closed: boolean;
  /** A long-lived stream holds one seat of `sessions` (at most one per connection). */
  streaming: boolean;
  /** Set when the login user is not root: every command goes through sudo. */
  readonly sudo?: { readonly user: string; readonly password?: Secret };
}

interface NodeState {
  live?: Live;
  pending?: Promise<Live>;
  failures: number;
  nextAttemptAt: number;
  lastError?: PiRackError;
  usedBootstrap: boolean;
}

const defaultConnect: SshConnectFactory = (config: ConnectConfig) => new Client().connect(config);

/** Creates the pool; nothing connects until the first exec. Throws CONFIG_READ for an unusable key. */
export function createSshPool(options: SshPoolOptions): SshPool {
  return new Pool(options);
}

class Pool implements SshPool {
  readonly #o: SshPoolOptions;
  readonly #key: ParsedKey;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #connect: SshConnectFactory;
  readonly #backoff: BackoffPolicy;
  readonly #nodes = new Map<number, NodeState>();
  #closed = false;

  constructor(options: SshPoolOptions) {
    if (!Number.isInteger(options.maxSessionsPerConnection) || options.maxSessionsPerConnection < 1) {
      throw new RangeError(`maxSessionsPerConnection must be a positive integer, got ${options.maxSessionsPerConnection}`);
    }
    this.#o = options;
    this.#key = parsePrivateKey(options.privateKey);
    this.#log = options.log.child({ component: 'ssh' });
    this.#now = options.now ?? Date.now;
    this.#connect = options.connect ?? defaultConnect;
    this.#backoff = options.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF;
  }

  async exec(target: SshTarget, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const t = this.#resolve(target);
    const { signal } = options;
    if (this.#closed) throw pirackError('PIRACK_ERR_ABORTED', 'the SSH pool is closed', { where: whereOf(t) });
    if (signal?.aborted)
      throw pirackError('PIRACK_ERR_ABORTED', 'cancelled before the command was sent', { cause: signal.reason, where: whereOf(t) });
    const live = await this.#connection(t, signal);
    const release = await live.sessions.acquire(signal);
    if (live.closed) {
      release();
      throw pirackError('PIRACK_ERR_SSH_CHANNEL', 'the connection closed while the command waited for a session', { where: whereOf(t) });
    }
    const sudo = live.sudo;
    const stdin = sudo?.password ? sudoStdin(sudo.password.reveal(), options.stdin) : options.stdin;
    const result = runOnChannel(live.client, {
      target: t,
      command: sudo ? sudoCommand(command, sudo.password !== undefined) : command,
      ...(stdin === undefined ? {} : { stdin }),
      timeoutMs: options.timeoutMs ?? this.#o.execTimeoutMs,
      ...(signal ? { signal } : {}),
      maxOutputBytes: this.#o.maxOutputBytes ?? 16 * 1024 * 1024,
      closeGraceMs: this.#o.closeGraceMs ?? 5_000,
      onChannelGone: release,
      onStuck: () => {
        this.#log.warn({ node: t.node, host: t.host }, 'a stopped command did not close; dropping the connection');
        this.#drop(t.node, live);
      },
    });
    if (!sudo) return result;
    return sudoResult(await result, { where: whereOf(t), user: sudo.user, withPassword: sudo.password !== undefined });
  }

  /**
   * The watch stream's channel. Its seat comes out of the same per-connection limit as every exec
   * (so OpenSSH's MaxSessions is never exceeded), but only one stream per connection is allowed
   * and only when the limit is at least 2: commands always keep a seat, so they never starve
   * behind a stream. No exec timeout applies.
   */
  async openStream(target: SshTarget, command: string, options: StreamOptions): Promise<ExecStream> {
    const t = this.#resolve(target);
    const where = whereOf(t);
    if (this.#o.maxSessionsPerConnection < 2) {
      throw pirackError(
        'PIRACK_ERR_SSH_CHANNEL',
        `maxSessionsPerConnection is ${this.#o.maxSessionsPerConnection}: a watch stream would leave no session for commands; set it to 2 or more`,
        { where },
      );
    }
    if (this.#closed) throw pirackError('PIRACK_ERR_ABORTED', 'the SSH pool is closed', { where });
    if (options.signal?.aborted)
      throw pirackError('PIRACK_ERR_ABORTED', 'cancelled before the stream was opened', { cause: options.signal.reason, where });
    const live = await this.#connection(t, options.signal);
    if (live.streaming) throw pirackError('PIRACK_ERR_SSH_CHANNEL', 'a watch stream is already open on this connection', { where });
    live.streaming = true;
    let release: () => void;
    try {
      release = await live.sessions.acquire(options.signal);
    } catch (err) {
      live.streaming = false;
      throw err;
    }
    const free = (): void => {
      live.streaming = false;
      release();
    };
    if (live.closed) {
      free();
      throw pirackError('PIRACK_ERR_SSH_CHANNEL', 'the connection closed while the stream waited for a session', { where });
    }
    const sudo = live.sudo;
    const stream = await openStreamChannel(live.client, {
      target: t,
      command: sudo ? sudoCommand(command, sudo.password !== undefined) : command,
      onStdout: options.onStdout,
      ...(options.signal ? { signal: options.signal } : {}),
      onChannelGone: free,
      closeGraceMs: this.#o.closeGraceMs ?? 5_000,
      onStuck: () => {
        this.#log.warn({ node: t.node, host: t.host }, 'a closed watch stream did not close; dropping the connection');
        this.#drop(t.node, live);
      },
    });
    // The password line goes first, before any line of the caller's; a refusal ends the stream with sudo's message.
    if (sudo?.password) stream.write(`${sudo.password.reveal()}\n`);
    return stream;
  }

  usedBootstrap(node: number): boolean {
    return this.#nodes.get(node)?.usedBootstrap ?? false;
  }

  forget(node: number): void {
    const state = this.#nodes.get(node);
    if (!state) return;
    this.#nodes.delete(node);
    if (state.live) endClient(state.live);
  }

  connectionCount(): number {
    let n = 0;
    for (const state of this.#nodes.values()) if (state.live && !state.live.closed) n += 1;
    return n;
  }

  backoffState(node: number): { failures: number; nextAttemptAt: number } | undefined {
    const state = this.#nodes.get(node);
    return state && state.failures > 0 ? { failures: state.failures, nextAttemptAt: state.nextAttemptAt } : undefined;
  }

  retryNow(node: number): void {
    const state = this.#nodes.get(node);
    if (!state) return;
    state.failures = 0;
    state.nextAttemptAt = 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const states = [...this.#nodes.values()];
    this.#nodes.clear();
    const pending = states.map((s) => s.pending?.then(endClient, () => undefined));
    await Promise.all([...states.map((s) => (s.live ? closeClient(s.live) : undefined)), ...pending]);
  }

  #resolve(target: SshTarget): SshTarget {
    if (target.port) return target;
    return { ...target, port: this.#o.port ?? 22 };
  }

  /** The node's live connection, opening it when needed; concurrent callers share one attempt. */
  async #connection(target: SshTarget, signal: AbortSignal | undefined): Promise<Live> {
    // A `forget` or a drop can land while we wait for a connect; then we look again, a bounded number of times.
    for (let round = 0; round < 3; round += 1) {
      if (this.#closed) throw pirackError('PIRACK_ERR_ABORTED', 'the SSH pool is closed', { where: whereOf(target) });
      let state = this.#nodes.get(target.node);
      if (!state) {
        state = { failures: 0, nextAttemptAt: 0, usedBootstrap: false };
        this.#nodes.set(target.node, state);
      }
      if (state.live && !state.live.closed) {
        if (state.live.host === target.host && state.live.port === target.port) return state.live;
        this.#log.info({ node: target.node, from: state.live.host, to: target.host }, 'node address changed; reconnecting');
        this.#drop(target.node, state.live);
      }
      if (!state.pending) {
        const attempt = this.#establish(state, target);
        state.pending = attempt;
        const clear = (): void => {
          if (state.pending === attempt) delete state.pending;
        };
        attempt.then(clear, clear);
      }
      const live = await abortable(state.pending, signal, target);
      if (!live.closed && this.#nodes.get(target.node)?.live === live) return live;
    }
    throw pirackError('PIRACK_ERR_SSH_CHANNEL', 'the connection was dropped repeatedly while connecting', { where: whereOf(target) });
  }

  async #establish(state: NodeState, target: SshTarget): Promise<Live> {
    const where = whereOf(target);
    const log = this.#log.child({ node: target.node, host: target.host });
    if (this.#o.hostKeys.isQuarantined(target.node)) {
      // Another process (`pirack hostkey repin`) may have lifted it; the file is the truth.
      await this.#o.hostKeys.reload();
      const record = this.#o.hostKeys.get(target.node);
      if (record?.quarantine) {
        throw pirackError(
          'PIRACK_ERR_SSH_HOSTKEY_CHANGED',
          `quarantined since ${record.quarantine.seenAt}: it showed host key ${record.quarantine.fingerprint}, pinned is ${record.fingerprint}; not connecting`,
          { where },
        );
      }
    }
    const wait = state.nextAttemptAt - this.#now();
    if (wait > 0) {
      throw pirackError(
        'PIRACK_ERR_SSH_UNREACHABLE',
        `not retrying before ${new Date(state.nextAttemptAt).toISOString()} (in ${wait} ms) after ${state.failures} failed attempt(s); last: ${state.lastError?.message ?? 'unknown'}`,
        { where, cause: state.lastError },
      );
    }
    try {
      const opened = await this.#login(target, log);
      const live: Live = {
        client: opened.client,
        sessions: new Semaphore(this.#o.maxSessionsPerConnection),
        host: target.host,
        port: target.port,
        closed: false,
        streaming: false,
        ...(opened.user === 'root' ? {} : { sudo: this.#sudoFor(opened.user) }),
      };
      state.failures = 0;
      state.nextAttemptAt = 0;
      delete state.lastError;
      state.usedBootstrap = opened.usedBootstrap;
      this.#watch(target, live, log);
      if (this.#closed || this.#nodes.get(target.node) !== state) {
        // Forgotten or closed while connecting: nobody owns this connection.
        endClient(live);
        return live;
      }
      state.live = live;
      log.info(
        { auth: opened.usedBootstrap ? 'bootstrap-password' : 'key', user: opened.user, sudo: live.sudo !== undefined },
        'connected',
      );
      return live;
    } catch (err) {
      const error = isPiRackError(err) ? err : pirackError('PIRACK_ERR_SSH_UNREACHABLE', String(err), { cause: err, where });
      if (error.code === 'PIRACK_ERR_SSH_HOSTKEY_CHANGED') {
        // The quarantine already keeps us away; a backoff on top would delay the first contact after a repin.
        throw error;
      }
      state.failures += 1;
      const delay = backoffDelay(state.failures, this.#backoff, this.#o.random);
      state.nextAttemptAt = this.#now() + delay;
      state.lastError = error;
      log.warn({ err: error, failures: state.failures, retryInMs: delay }, 'connect failed');
      throw error;
    }
  }

  /** The login user's sudo password: the configured one, or a bootstrap user's own password. */
  #sudoFor(user: string): { user: string; password?: Secret } {
    const boot = this.#o.bootstrap;
    const password = user === this.#o.user ? this.#o.sudoPassword : boot && boot.user === user ? boot.password : undefined;
    return { user, ...(password ? { password } : {}) };
  }

  async #login(target: SshTarget, log: Logger): Promise<{ client: SshClient; usedBootstrap: boolean; user: string }> {
    const key: LoginMethod = { type: 'publickey', username: this.#o.user, key: this.#key };
    const boot = this.#o.bootstrap;
    const password: LoginMethod | undefined = boot ? { type: 'password', username: boot.user, password: boot.password } : undefined;
    // OpenSSH drops a client that changes user name between attempts, so a different bootstrap
    // user needs its own connection; the same user tries both in one.
    const plans: LoginMethod[][] = !password ? [[key]] : password.username === key.username ? [[key, password]] : [[key], [password]];
    let last: unknown;
    for (const methods of plans) {
      try {
        return await openConnection({
          target,
          methods,
          connectTimeoutMs: this.#o.connectTimeoutMs,
          keepaliveIntervalMs: this.#o.keepaliveIntervalMs,
          keepaliveCountMax: this.#o.keepaliveCountMax ?? 3,
          hostKeys: this.#o.hostKeys,
          connect: this.#connect,
          log,
        });
      } catch (err) {
        last = err;
        if (!isPiRackError(err) || err.code !== 'PIRACK_ERR_SSH_AUTH') throw err;
      }
    }
    throw last;
  }

  #watch(target: SshTarget, live: Live, log: Logger): void {
    live.client.on('error', (err: Error) => {
      if (!live.closed) log.warn({ err }, 'connection error');
    });
    live.client.once('close', () => {
      live.closed = true;
      live.sessions.failWaiters(
        pirackError('PIRACK_ERR_SSH_CHANNEL', 'the connection closed while the command waited for a session', { where: whereOf(target) }),
      );
      const state = this.#nodes.get(target.node);
      if (state?.live === live) {
        delete state.live;
        log.info('connection closed; the next command reconnects');
      }
    });
  }

  #drop(node: number, live: Live): void {
    const state = this.#nodes.get(node);
    if (state?.live === live) delete state.live;
    endClient(live);
  }
}

function parsePrivateKey(privateKey: Buffer): ParsedKey {
  const parsed = utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    throw pirackError('PIRACK_ERR_CONFIG_READ', `the SSH private key cannot be parsed${key instanceof Error ? `: ${key.message}` : ''}`, {
      where: 'ssh.keyFile',
    });
  }
  if (key.getPrivatePEM() === null)
    throw pirackError('PIRACK_ERR_CONFIG_READ', 'the SSH key file holds a public key, not a private key', { where: 'ssh.keyFile' });
  return key;
}

/** Waits for `promise` unless `signal` aborts first; the shared work itself goes on for others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, target: SshTarget): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(pirackError('PIRACK_ERR_ABORTED', 'cancelled while connecting', { cause: signal.reason, where: whereOf(target) }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function endClient(live: Live): void {
  try {
    live.client.end();
  } catch {
    /* already gone */
  }
}

/** Ends the client and waits (bounded) for its socket to close, so tests and shutdown leave nothing open. */
function closeClient(live: Live): Promise<void> {
  if (live.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      live.client.destroy();
      resolve();
    }, 2_000);
    timer.unref();
    live.client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    endClient(live);
  });
}
