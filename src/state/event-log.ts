/**
 * The bounded event log: what was done, to what, why, with what result. Kept in memory for the
 * API and appended to `events.jsonl` in the state dir so it survives a restart; the file is
 * compacted to the newest `limit` entries once it holds twice as many.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { RackEvent } from '../model/status.ts';
import { writeFileAtomic } from './atomic.ts';

export interface EventLogOptions {
  readonly path?: string;
  readonly limit?: number;
  readonly now?: () => Date;
}

export type NewEvent = Omit<RackEvent, 'seq' | 'at'>;

export class EventLog {
  private events: RackEvent[] = [];
  private readonly listeners = new Set<(event: RackEvent) => void>();
  private readonly limit: number;
  private readonly now: () => Date;
  private seq = 0;
  private linesInFile = 0;

  constructor(private readonly options: EventLogOptions = {}) {
    this.limit = options.limit ?? 1000;
    this.now = options.now ?? (() => new Date());
    if (options.path) this.load(options.path);
  }

  add(event: NewEvent): RackEvent {
    const full: RackEvent = { seq: ++this.seq, at: this.now().toISOString(), ...event };
    this.events.push(full);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    this.persist(full);
    for (const listener of this.listeners) listener(full);
    return full;
  }

  list(afterSeq = 0): readonly RackEvent[] {
    return this.events.filter((e) => e.seq > afterSeq);
  }

  subscribe(listener: (event: RackEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n').filter(Boolean);
    this.linesInFile = lines.length;
    for (const line of lines) {
      try {
        const event = JSON.parse(line) as RackEvent;
        if (typeof event.seq === 'number') this.events.push(event);
      } catch {
        // A line cut short by a power cut is skipped; the rest of the log is still good.
      }
    }
    this.events = this.events.slice(-this.limit);
    this.seq = this.events.reduce((max, e) => Math.max(max, e.seq), 0);
  }

  private persist(event: RackEvent): void {
    const path = this.options.path;
    if (!path) return;
    appendFileSync(path, `${JSON.stringify(event)}\n`);
    if (++this.linesInFile >= this.limit * 2) {
      this.linesInFile = this.events.length;
      void writeFileAtomic(path, this.events.map((e) => JSON.stringify(e)).join('\n') + '\n', { noSync: true });
    }
  }
}
