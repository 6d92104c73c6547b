/**
 * One watch stream per Pi of the rack: started, updated on each revision, stopped when a Pi leaves
 * the rack or the daemon stops. The daemon owns one of these; see docs/architecture.md for how
 * its sink is wired to the work queue and the observed-state store.
 */
import type { Logger } from 'pino';
import type { WatchSpec } from '../slave/protocol.ts';
import type { SshTarget } from '../ssh/types.ts';
import type { StreamClock } from './clock.ts';
import { NodeStream, type NodeStreamState, type StreamTransport, type StreamTuning } from './node-stream.ts';
import { OpeningGate } from './opening-gate.ts';
import type { LiveSink } from './sink.ts';

/** 8 at a time: 48 Pis stream within a few hellos' time, and 8 slaves starting Node.js fit the lab's 2 cores inside the hello timeout. */
export const DEFAULT_MAX_OPENING = 8;

export interface LiveStreamsOptions {
  readonly transport: StreamTransport;
  readonly sink: LiveSink;
  readonly log: Logger;
  readonly clock?: StreamClock;
  readonly slavePath?: string;
  readonly tuning?: Partial<StreamTuning>;
  readonly random?: () => number;
  /** Streams waiting for their slave's hello at once, rack-wide (default 8; see opening-gate.ts). */
  readonly maxOpening?: number;
}

export interface StreamEntry {
  readonly target: SshTarget;
  readonly spec: WatchSpec;
}

export class LiveStreams {
  readonly #streams = new Map<number, NodeStream>();
  readonly #gate: OpeningGate;

  constructor(private readonly options: LiveStreamsOptions) {
    this.#gate = new OpeningGate(options.maxOpening ?? DEFAULT_MAX_OPENING);
  }

  /** Makes the set of streams match `entries`: new Pis start, known ones get the new spec, gone ones stop. */
  sync(entries: readonly StreamEntry[]): void {
    const wanted = new Set(entries.map((e) => e.target.node));
    for (const [node, stream] of this.#streams) {
      if (!wanted.has(node)) {
        stream.stop();
        this.#streams.delete(node);
      }
    }
    for (const entry of entries) {
      const known = this.#streams.get(entry.target.node);
      if (known) {
        known.update(entry.spec, entry.target);
        continue;
      }
      const { transport, sink, log, clock, slavePath, tuning, random } = this.options;
      const stream = new NodeStream({
        target: entry.target,
        spec: entry.spec,
        transport,
        sink,
        log,
        ...(clock ? { clock } : {}),
        ...(slavePath ? { slavePath } : {}),
        ...(tuning ? { tuning } : {}),
        ...(random ? { random } : {}),
        gate: this.#gate,
      });
      this.#streams.set(entry.target.node, stream);
      stream.start();
    }
  }

  /** A sign the Pi may be back (lease, port answering, new slave installed): retry its stream now. */
  poke(node: number): void {
    this.#streams.get(node)?.poke();
  }

  state(node: number): NodeStreamState | undefined {
    return this.#streams.get(node)?.state;
  }

  /** Pis whose stream is live now. */
  liveCount(): number {
    let n = 0;
    for (const s of this.#streams.values()) if (s.state === 'live') n += 1;
    return n;
  }

  stop(): void {
    for (const s of this.#streams.values()) s.stop();
    this.#streams.clear();
  }
}
