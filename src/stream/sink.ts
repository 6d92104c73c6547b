/**
 * What the watch stream tells the rest of the master. The stream decides nothing: the daemon's
 * implementation of this interface maps each call onto the work queue and the observed-state
 * store (docs/architecture.md, "The watch stream"). Every call is synchronous and must not throw.
 */
import type { ChangeWhat, LiveHealth } from '../slave/protocol.ts';

export interface StreamHello {
  readonly protocol: number;
  /** The Pi's Node.js version. */
  readonly nodeVersion: string;
  /** How the slave sees unit changes: 'dbus', or why it cannot. */
  readonly units: string;
}

export interface ChangeNotice {
  readonly what: ChangeWhat;
  /** The path, unit or 'dpkg-status'. */
  readonly detail: string;
  /** Events folded into this notice (by the slave, then by the client). */
  readonly count: number;
}

export interface LiveSink {
  /** The slave said hello with a protocol this master speaks: the Pi is live from here on. */
  opened(node: number, hello: StreamHello): void;
  /** The slave took a spec; `problems` lists what it cannot watch (the resync covers those). */
  watching(node: number, revision: string, problems: readonly string[]): void;
  /** About once a second while the stream lives; `at` is the master's clock (epoch ms). */
  heartbeat(node: number, health: LiveHealth, at: number): void;
  /** Something managed on the Pi may have changed: look at it again (what to do is the pass's call). */
  change(node: number, notice: ChangeNotice): void;
  /** A stream that had opened went silent, closed, or lost its connection. */
  lost(node: number, reason: string): void;
  /** The Pi cannot stream (old slave, no or broken Node.js, no slave yet): poll it instead. */
  unsupported(node: number, reason: string): void;
}
