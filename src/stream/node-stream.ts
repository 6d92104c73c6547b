/**
 * The master's end of one Pi's watch stream: opens `pirack-slave watch` on the Pi's pooled SSH
 * connection, sends the watch spec (again when it changes), checks every line, and tells the sink
 * what it learnt. It keeps the stream up: a stream that ends or goes silent is reported lost and
 * re-opened on a short, capped schedule (a Pi back from a power cut must not wait out a long
 * backoff), and a Pi that cannot stream is reported unsupported and asked again much later.
 *
 * States: idle → opening → hello (channel open, waiting for the slave's hello) → live; any of
 * them → waiting (a retry timer) or stopped. Every callback carries the attempt's generation, so
 * a late event from an abandoned attempt changes nothing.
 */
import type { Logger } from 'pino';
import { Coalescer } from '../slave/coalesce.ts';
import { LineSplitter } from '../slave/lines.ts';
import { MAX_LINE_BYTES, PROTOCOL_VERSION, type ChangeWhat, type WatchSpec } from '../slave/protocol.ts';
import { shellCommand } from '../ssh/quote.ts';
import type { ExecStream, SshStreamer, SshTarget, StreamEnd } from '../ssh/types.ts';
import { realClock, type StreamClock } from './clock.ts';
import { parseSlaveLine } from './parse.ts';
import type { LiveSink } from './sink.ts';
import type { OpeningGate } from './opening-gate.ts';
import { sameWatches } from './spec.ts';

/** What the stream needs from SSH: the pool implements it. */
export interface StreamTransport extends SshStreamer {
  /** Drops the node's connection (used when the Pi went silent: its TCP is presumed dead). */
  forget(node: number): void;
  /** Lifts the pool's connect backoff for the node before a retry. */
  retryNow?(node: number): void;
}

export const DEFAULT_SLAVE_PATH = '/usr/local/lib/pirack/pirack-slave.js';

export interface StreamTuning {
  /** No heartbeat for this long: the Pi is lost. Default 4 s (the slave beats every second). */
  readonly heartbeatTimeoutMs: number;
  /** An opened channel must say hello within this. Default 15 s (Node starts slowly on a Pi Zero). */
  readonly helloTimeoutMs: number;
  /** Retry spacing after a lost stream or a failed open: base doubling to max, ±20 % jitter. */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** How soon a Pi that cannot stream is asked again (a new slave may have been installed). */
  readonly unsupportedRetryMs: number;
  /** Change notices per thing are folded within this window before reaching the sink. */
  readonly changeWindowMs: number;
  /** Drop the SSH connection when the Pi goes silent, so commands on it fail now, not at keepalive. */
  readonly dropConnectionOnSilence: boolean;
  /** Garbage lines are logged at most once per this interval per Pi (with a count). */
  readonly garbageLogIntervalMs: number;
}

export const DEFAULT_TUNING: StreamTuning = {
  heartbeatTimeoutMs: 4_000,
  helloTimeoutMs: 15_000,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 3_000,
  unsupportedRetryMs: 60_000,
  changeWindowMs: 250,
  dropConnectionOnSilence: true,
  garbageLogIntervalMs: 10_000,
};

export interface NodeStreamOptions {
  readonly target: SshTarget;
  readonly spec: WatchSpec;
  readonly transport: StreamTransport;
  readonly sink: LiveSink;
  readonly log: Logger;
  readonly clock?: StreamClock;
  readonly slavePath?: string;
  readonly tuning?: Partial<StreamTuning>;
  /** For jitter; default Math.random. */
  readonly random?: () => number;
  /** Shared by the rack's streams: how many may be waiting for a hello at once (see opening-gate.ts). */
  readonly gate?: OpeningGate;
}

export type NodeStreamState = 'idle' | 'opening' | 'hello' | 'live' | 'waiting' | 'stopped';

export class NodeStream {
  readonly #o: NodeStreamOptions;
  readonly #t: StreamTuning;
  readonly #clock: StreamClock;
  readonly #log: Logger;
  readonly #node: number;
  #target: SshTarget;
  #spec: WatchSpec;
  #state: NodeStreamState = 'idle';
  #gen = 0;
  #failures = 0;
  #stream: ExecStream | undefined;
  #abort: AbortController | undefined;
  #timer: unknown;
  #retryTimer: unknown;
  #unsupported: string | undefined;
  /** Gives the opening slot back (after the hello, or when the attempt ends or is abandoned). */
  #leaveGate: (() => void) | undefined;
  readonly #changes: Coalescer;
  readonly #pendingCounts = new Map<string, number>();
  #garbage = { dropped: 0, lastLogAt: -Infinity };

  constructor(options: NodeStreamOptions) {
    this.#o = options;
    this.#t = { ...DEFAULT_TUNING, ...options.tuning };
    this.#clock = options.clock ?? realClock;
    this.#node = options.target.node;
    this.#target = options.target;
    this.#spec = options.spec;
    this.#log = options.log.child({ component: 'stream', node: this.#node });
    this.#changes = new Coalescer(this.#t.changeWindowMs, (key) => this.#emitChange(key), this.#clock);
  }

  get state(): NodeStreamState {
    return this.#state;
  }

  /** Why the Pi cannot stream, while it cannot. */
  get unsupportedReason(): string | undefined {
    return this.#unsupported;
  }

  start(): void {
    if (this.#state === 'idle') this.#attempt();
  }

  /**
   * Something says the Pi may be back (a DHCP lease, its SSH port answering, a pass that installed
   * a new slave): try now instead of at the next retry. No-op while a stream is open or opening.
   */
  poke(): void {
    if (this.#state !== 'waiting') return;
    this.#clock.clearTimeout(this.#retryTimer);
    this.#attempt();
  }

  /** A new desired state: sent at once to a live slave, or used by the next open. */
  update(spec: WatchSpec, target: SshTarget = this.#target): void {
    const moved = target.host !== this.#target.host || target.port !== this.#target.port;
    const changed = spec.revision !== this.#spec.revision || !sameWatches(spec, this.#spec);
    this.#spec = spec;
    this.#target = target;
    if (moved && this.#state !== 'stopped' && this.#state !== 'idle') {
      this.#restart('the Pi has a new address');
      return;
    }
    if (!changed) return;
    if (this.#state === 'live') this.#sendSpec();
    else if (this.#unsupported) this.poke();
  }

  stop(): void {
    if (this.#state === 'stopped') return;
    this.#abandon();
    this.#clock.clearTimeout(this.#retryTimer);
    this.#changes.close();
    this.#state = 'stopped';
  }

  #command(): string {
    return `exec ${shellCommand(['node', this.#o.slavePath ?? DEFAULT_SLAVE_PATH, 'watch'])}`;
  }

  #attempt(): void {
    this.#leave();
    const gen = ++this.#gen;
    this.#state = 'opening';
    if (!this.#o.gate) return this.#open(gen);
    this.#leaveGate = this.#o.gate.enter(() => this.#open(gen));
  }

  /** Leaves the opening gate, if in it or queued: once per attempt. */
  #leave(): void {
    const leave = this.#leaveGate;
    this.#leaveGate = undefined;
    leave?.();
  }

  #open(gen: number): void {
    if (gen !== this.#gen) return this.#leave();
    this.#o.transport.retryNow?.(this.#node);
    const splitter = new LineSplitter(
      MAX_LINE_BYTES,
      (line) => this.#onLine(gen, line),
      (bytes) => this.#dropped(gen, `a line over ${MAX_LINE_BYTES} bytes (${bytes} bytes)`),
    );
    const abort = new AbortController();
    this.#abort = abort;
    this.#o.transport.openStream(this.#target, this.#command(), { onStdout: (chunk) => splitter.push(chunk), signal: abort.signal }).then(
      (stream) => {
        if (gen !== this.#gen) {
          stream.close();
          return;
        }
        this.#stream = stream;
        this.#state = 'hello';
        this.#arm(this.#t.helloTimeoutMs, () => this.#giveUp(gen, `pirack-slave watch said no hello within ${this.#t.helloTimeoutMs} ms`));
        void stream.ended.then((end) => {
          splitter.end();
          this.#ended(gen, end);
        });
      },
      (err: Error) => {
        if (gen !== this.#gen) return;
        this.#leave();
        this.#failures += 1;
        this.#log.debug({ err, failures: this.#failures }, 'watch stream did not open');
        this.#retryAfter(this.#reconnectDelay());
      },
    );
  }

  #onLine(gen: number, text: string): void {
    if (gen !== this.#gen) return;
    const parsed = parseSlaveLine(text);
    if (!parsed.ok) return this.#dropped(gen, `${parsed.why}: ${JSON.stringify(text.slice(0, 80))}`);
    const line = parsed.line;
    if (line.type === 'hello') {
      if (this.#state !== 'hello') return this.#dropped(gen, 'a second hello');
      if (line.protocol !== PROTOCOL_VERSION) {
        return this.#giveUp(gen, `the Pi's pirack-slave speaks watch protocol ${line.protocol}; this master speaks ${PROTOCOL_VERSION}`);
      }
      this.#leave();
      this.#state = 'live';
      this.#failures = 0;
      this.#unsupported = undefined;
      this.#log.info({ protocol: line.protocol, nodeVersion: line.node, units: line.units }, 'watch stream open');
      this.#o.sink.opened(this.#node, { protocol: line.protocol, nodeVersion: line.node, units: line.units });
      this.#sendSpec();
      this.#armSilence(gen);
      return;
    }
    if (this.#state !== 'live') return this.#dropped(gen, `a ${line.type} line before hello`);
    switch (line.type) {
      case 'heartbeat':
        this.#armSilence(gen);
        this.#o.sink.heartbeat(this.#node, line.health, this.#clock.now());
        return;
      case 'watching':
        if (line.problems.length > 0)
          this.#log.warn(
            { revision: line.revision, problems: line.problems },
            'the slave cannot watch everything; the resync covers the rest',
          );
        this.#o.sink.watching(this.#node, line.revision, line.problems);
        return;
      case 'change': {
        const key = `${line.what}\u0000${line.detail}`;
        this.#pendingCounts.set(key, (this.#pendingCounts.get(key) ?? 0) + line.count);
        this.#changes.note(key);
        return;
      }
    }
  }

  #emitChange(key: string): void {
    const count = this.#pendingCounts.get(key) ?? 1;
    this.#pendingCounts.delete(key);
    const [what, detail] = key.split('\u0000') as [ChangeWhat, string];
    this.#o.sink.change(this.#node, { what, detail, count });
  }

  /** A line that is not the protocol: dropped, logged (rate-limited), never a sign of life. */
  #dropped(gen: number, why: string): void {
    if (gen !== this.#gen) return;
    this.#garbage.dropped += 1;
    const now = this.#clock.now();
    if (now - this.#garbage.lastLogAt < this.#t.garbageLogIntervalMs) return;
    this.#log.warn({ why, droppedSinceLastLog: this.#garbage.dropped }, 'dropped a line from the watch stream that is not the protocol');
    this.#garbage = { dropped: 0, lastLogAt: now };
  }

  #ended(gen: number, end: StreamEnd): void {
    if (gen !== this.#gen) return;
    this.#leave();
    const was = this.#state;
    this.#stream = undefined;
    this.#clock.clearTimeout(this.#timer);
    const detail = end.stderrTail ? `${end.reason}: ${lastLine(end.stderrTail)}` : end.reason;
    if (was === 'live') {
      this.#log.warn({ reason: detail }, 'watch stream lost');
      this.#o.sink.lost(this.#node, `the watch stream ended (${detail})`);
      this.#retryAfter(this.#reconnectDelay());
    } else if (end.exitCode !== undefined) {
      this.#markUnsupported(classifyEarlyExit(end, this.#o.slavePath ?? DEFAULT_SLAVE_PATH));
    } else {
      // The connection went before the slave spoke: an unreachable Pi, not an unable one.
      this.#failures += 1;
      this.#retryAfter(this.#reconnectDelay());
    }
  }

  #armSilence(gen: number): void {
    this.#arm(this.#t.heartbeatTimeoutMs, () => {
      if (gen !== this.#gen) return;
      const reason = `no heartbeat for ${this.#t.heartbeatTimeoutMs} ms`;
      this.#log.warn({ reason }, 'watch stream lost');
      this.#o.sink.lost(this.#node, reason);
      this.#abandon();
      if (this.#t.dropConnectionOnSilence) this.#o.transport.forget(this.#node);
      this.#retryAfter(this.#reconnectDelay());
    });
  }

  #giveUp(gen: number, reason: string): void {
    if (gen !== this.#gen) return;
    this.#abandon();
    this.#markUnsupported(reason);
  }

  #markUnsupported(reason: string): void {
    this.#unsupported = reason;
    this.#log.warn({ reason, retryInMs: this.#t.unsupportedRetryMs }, 'the Pi cannot stream; it is polled instead');
    this.#o.sink.unsupported(this.#node, reason);
    this.#retryAfter(this.#t.unsupportedRetryMs);
  }

  #restart(why: string): void {
    const wasLive = this.#state === 'live';
    this.#abandon();
    if (wasLive) this.#o.sink.lost(this.#node, why);
    this.#attempt();
  }

  /** Forgets the current attempt: later events from it are ignored, its channel is closed. */
  #abandon(): void {
    this.#leave();
    this.#gen += 1;
    this.#clock.clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#abort = undefined;
    this.#stream?.close();
    this.#stream = undefined;
  }

  #sendSpec(): void {
    this.#stream?.write(`${JSON.stringify({ type: 'spec', ...this.#spec })}\n`);
  }

  #arm(ms: number, fn: () => void): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(fn, ms);
  }

  #retryAfter(ms: number): void {
    if (this.#state === 'stopped') return;
    this.#state = 'waiting';
    this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = this.#clock.setTimeout(() => {
      if (this.#state === 'waiting') this.#attempt();
    }, ms);
  }

  #reconnectDelay(): number {
    const exp = Math.min(this.#t.reconnectMaxMs, this.#t.reconnectBaseMs * 2 ** Math.max(0, this.#failures - 1));
    const jitter = 0.8 + 0.4 * (this.#o.random ?? Math.random)();
    return Math.round(exp * jitter);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 300);
}

/** Why a slave that exited before its hello cannot stream, in words an operator can act on. */
export function classifyEarlyExit(end: StreamEnd, slavePath: string): string {
  const err = end.stderrTail;
  if (end.exitCode === 127 || /node: (command )?not found|No such file or directory.*node/.test(err))
    return `Node.js is missing on the Pi (${lastLine(err) || `exit ${end.exitCode}`})`;
  if (/unknown command "watch"/.test(err))
    return 'the installed pirack-slave has no watch command (an older slave); it streams once the new one is installed';
  if (/Cannot find module/.test(err)) return `pirack-slave is not installed at ${slavePath} yet`;
  if (/SyntaxError|Unexpected token/.test(err)) return `the Pi's Node.js cannot run pirack-slave (${lastLine(err)})`;
  return `pirack-slave watch exited ${end.exitCode} before its hello${err ? `: ${lastLine(err)}` : ''}`;
}
