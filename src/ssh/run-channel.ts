/**
 * One command on one session channel of an open connection: output collected, stdin written,
 * bounded by a timeout and an AbortSignal. The pool owns connections and session slots; this file
 * owns what happens inside one channel.
 */
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Client, ClientChannel } from 'ssh2';
import { pirackError } from '../errors.ts';
import type { ExecResult } from './types.ts';
import { channelError, whereOf, type SshWhere } from './map-error.ts';

/** What running one command needs besides the connection. */
export interface ChannelRun {
  readonly target: SshWhere;
  readonly command: string;
  readonly stdin?: string | Buffer;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Per stream; beyond it output is dropped and a marker appended, so a runaway command cannot fill memory. */
  readonly maxOutputBytes: number;
  /** After a timeout or abort, how long the server gets to confirm the channel closed. */
  readonly closeGraceMs: number;
  /** Called exactly once when the channel is gone (or never opened): frees the session slot. */
  readonly onChannelGone: () => void;
  /** The server did not confirm the close within the grace: the connection is presumed stuck. */
  readonly onStuck: () => void;
}

const TRUNCATED = '\n[pirack: output truncated]\n';

/**
 * Runs `run.command`. Resolves with the exit status of a command that ran to its end (any exit
 * code); rejects with SSH_TIMEOUT, ABORTED or SSH_CHANNEL. On timeout or abort the command is
 * sent SIGKILL (servers that do not support signals get the channel closed, which hangs up the
 * command) and the promise settles at once, without waiting for the server.
 */
export function runOnChannel(client: Client, run: ChannelRun): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    const started = performance.now();
    const stdout = new Collector(run.maxOutputBytes);
    const stderr = new Collector(run.maxOutputBytes);
    let channel: ClientChannel | undefined;
    let settled = false;
    let gone = false;
    let exitCode: number | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const channelGone = (): void => {
      if (gone) return;
      gone = true;
      if (graceTimer) clearTimeout(graceTimer);
      run.onChannelGone();
    };
    const settle = (error: Error | undefined, result?: ExecResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(result as ExecResult);
    };
    const stop = (error: Error): void => {
      settle(error);
      if (channel && !gone) closeChannel(channel);
    };
    const closeChannel = (ch: ClientChannel): void => {
      sendSignal(ch, 'KILL');
      ch.close();
      graceTimer = setTimeout(() => {
        if (!gone) run.onStuck();
      }, run.closeGraceMs);
      graceTimer.unref();
    };
    const onAbort = (): void => {
      stop(
        pirackError('PIRACK_ERR_ABORTED', 'cancelled; the command was stopped', { cause: run.signal?.reason, where: whereOf(run.target) }),
      );
    };

    const timer = setTimeout(() => {
      stop(
        pirackError('PIRACK_ERR_SSH_TIMEOUT', `command did not finish within ${run.timeoutMs} ms and was stopped`, {
          where: whereOf(run.target),
        }),
      );
    }, run.timeoutMs);
    run.signal?.addEventListener('abort', onAbort, { once: true });

    const opened = (err: Error | undefined, ch: ClientChannel): void => {
      if (err) {
        channelGone();
        settle(channelError(err, run.target));
        return;
      }
      channel = ch;
      ch.on('data', (chunk: Buffer) => stdout.push(chunk));
      ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      ch.on('exit', (code: number | null, signalName?: string) => {
        exitCode = code ?? signalExitCode(signalName);
      });
      ch.on('close', () => {
        channelGone();
        if (exitCode === undefined) {
          settle(channelError(new Error('the session closed before the command reported an exit status'), run.target));
          return;
        }
        settle(undefined, { exitCode, stdout: stdout.text(), stderr: stderr.text(), durationMs: Math.round(performance.now() - started) });
      });
      // Timed out or aborted while the channel was being opened: close it now it exists.
      if (settled) {
        closeChannel(ch);
        return;
      }
      // end() sends EOF, so commands reading stdin (cat, sh -s) finish even without input.
      if (run.stdin !== undefined) ch.end(run.stdin);
      else ch.end();
    };

    try {
      client.exec(run.command, opened);
    } catch (err) {
      channelGone();
      settle(channelError(err, run.target));
    }
  });
}

interface ChannelInternals {
  readonly outgoing?: { readonly id?: number; readonly state?: string };
  readonly _client?: { readonly _protocol?: { signal?: (id: number, name: string) => void } };
}

/**
 * Asks the server to signal the command. ssh2's `Channel.signal` sends nothing once our side
 * ended stdin (it checks `writable`), which is every exec here, so the request goes through the
 * channel's protocol object: the request is valid until the channel closes. Closing the
 * channel alone leaves a command without a pty running on an OpenSSH server.
 */
function sendSignal(ch: ClientChannel, name: string): void {
  const internals = ch as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  try {
    if (
      (internals.outgoing?.state === 'open' || internals.outgoing?.state === 'eof') &&
      typeof id === 'number' &&
      typeof protocol?.signal === 'function'
    )
      protocol.signal(id, name);
    else ch.signal(name);
  } catch {
    /* the channel is closing already; close() below finishes the job */
  }
}

/** A shell reports death by signal N as 128+N; we do the same so callers see one convention. */
function signalExitCode(signalName: string | undefined): number {
  const signals = constants.signals as Record<string, number | undefined>;
  const num = signalName ? (signals[`SIG${signalName}`] ?? signals[signalName]) : undefined;
  return num === undefined ? 255 : 128 + num;
}

/** Gathers a stream's chunks up to a limit; decoded once at the end so UTF-8 is never split. */
class Collector {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #truncated = false;

  constructor(readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.#truncated) return;
    const room = this.max - this.#bytes;
    if (chunk.length > room) {
      this.#chunks.push(chunk.subarray(0, room));
      this.#bytes = this.max;
      this.#truncated = true;
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    return this.#truncated ? text + TRUNCATED : text;
  }
}
