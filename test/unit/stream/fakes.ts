/** Test doubles for the stream client: a hand-advanced clock, an in-memory transport, a recording sink. */
import type { LiveHealth } from '../../../src/slave/protocol.ts';
import type { ExecStream, SshTarget, StreamEnd, StreamOptions } from '../../../src/ssh/types.ts';
import type { StreamClock } from '../../../src/stream/clock.ts';
import type { StreamTransport } from '../../../src/stream/node-stream.ts';
import type { ChangeNotice, LiveSink, StreamHello } from '../../../src/stream/sink.ts';

export class FakeClock implements StreamClock {
  #now = 1_000_000;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time on by `ms`, running each timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = end;
    await flush();
  }

  pending(): number {
    return this.#timers.size;
  }
}

/** Lets promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export class FakeChannel implements ExecStream {
  readonly written: string[] = [];
  closedByUs = false;
  #settle!: (end: StreamEnd) => void;
  #gone = false;
  readonly ended: Promise<StreamEnd>;

  constructor(private readonly options: StreamOptions) {
    this.ended = new Promise((r) => (this.#settle = r));
  }

  write(data: string): boolean {
    if (this.#gone) return false;
    this.written.push(data);
    return true;
  }

  close(): void {
    if (this.#gone) return;
    this.closedByUs = true;
    this.#end({ reason: 'closed by us', stderrTail: '' });
  }

  /** The slave writes raw bytes. */
  out(text: string | Buffer): void {
    if (!this.#gone) this.options.onStdout(Buffer.isBuffer(text) ? text : Buffer.from(text));
  }

  line(value: unknown): void {
    this.out(`${JSON.stringify(value)}\n`);
  }

  exit(exitCode: number, stderrTail = ''): void {
    this.#end({ exitCode, reason: `exited ${exitCode}`, stderrTail });
  }

  drop(): void {
    this.#end({ reason: 'the channel or its connection closed', stderrTail: '' });
  }

  specs(): Array<Record<string, unknown>> {
    return this.written.map((w) => JSON.parse(w) as Record<string, unknown>);
  }

  #end(end: StreamEnd): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#settle(end);
  }
}

export class FakeTransport implements StreamTransport {
  readonly channels: FakeChannel[] = [];
  readonly commands: string[] = [];
  readonly forgotten: number[] = [];
  readonly retried: number[] = [];
  /** Errors the next opens reject with, in order; an empty list opens a channel. */
  failures: Error[] = [];

  openStream(_target: SshTarget, command: string, options: StreamOptions): Promise<ExecStream> {
    this.commands.push(command);
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    const ch = new FakeChannel(options);
    options.signal?.addEventListener('abort', () => ch.close(), { once: true });
    this.channels.push(ch);
    return Promise.resolve(ch);
  }

  forget(node: number): void {
    this.forgotten.push(node);
  }

  retryNow(node: number): void {
    this.retried.push(node);
  }

  last(): FakeChannel {
    const ch = this.channels[this.channels.length - 1];
    if (!ch) throw new Error('no channel opened');
    return ch;
  }
}

export type SinkEvent =
  | { kind: 'opened'; node: number; hello: StreamHello }
  | { kind: 'watching'; node: number; revision: string; problems: readonly string[] }
  | { kind: 'heartbeat'; node: number; health: LiveHealth; at: number }
  | { kind: 'change'; node: number; notice: ChangeNotice }
  | { kind: 'lost'; node: number; reason: string }
  | { kind: 'unsupported'; node: number; reason: string };

export class RecordingSink implements LiveSink {
  readonly events: SinkEvent[] = [];
  opened(node: number, hello: StreamHello): void {
    this.events.push({ kind: 'opened', node, hello });
  }
  watching(node: number, revision: string, problems: readonly string[]): void {
    this.events.push({ kind: 'watching', node, revision, problems });
  }
  heartbeat(node: number, health: LiveHealth, at: number): void {
    this.events.push({ kind: 'heartbeat', node, health, at });
  }
  change(node: number, notice: ChangeNotice): void {
    this.events.push({ kind: 'change', node, notice });
  }
  lost(node: number, reason: string): void {
    this.events.push({ kind: 'lost', node, reason });
  }
  unsupported(node: number, reason: string): void {
    this.events.push({ kind: 'unsupported', node, reason });
  }
  kinds(): string[] {
    return this.events.map((e) => e.kind);
  }
  of<K extends SinkEvent['kind']>(kind: K): Array<Extract<SinkEvent, { kind: K }>> {
    return this.events.filter((e): e is Extract<SinkEvent, { kind: K }> => e.kind === kind);
  }
}

export const HEALTH: LiveHealth = {
  cpuPercent: 12.5,
  temperatureC: 47.2,
  memTotalKb: 1_000_000,
  memAvailableKb: 600_000,
  load1: 0.1,
  load5: 0.2,
  load15: 0.3,
  uptimeSeconds: 1234,
  diskFreeBytes: 5_000_000,
  diskTotalBytes: 10_000_000,
  throttled: 0,
};

export const HELLO = { type: 'hello', protocol: 1, slave: 'pirack-slave', node: 'v18.19.0', units: 'dbus' };
export const heartbeat = (seq: number, health: LiveHealth = HEALTH) => ({ type: 'heartbeat', seq, health });
