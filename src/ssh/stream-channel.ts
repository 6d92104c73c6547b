/**
 * A long-lived command on one session channel (the watch stream): no timeout, stdin left open for
 * more lines, stdout handed on chunk by chunk rather than collected. The pool owns the seat; this
 * file owns the channel.
 */
import type { Client, ClientChannel } from 'ssh2';
import { channelError, type SshWhere } from './map-error.ts';
import type { ExecStream, StreamEnd } from './types.ts';

export interface StreamRun {
  readonly target: SshWhere;
  readonly command: string;
  readonly onStdout: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
  /** Called exactly once when the channel is gone (or never opened): frees the seat. */
  readonly onChannelGone: () => void;
  /** After close(), how long the server gets to confirm before the connection is presumed stuck. */
  readonly closeGraceMs: number;
  /** The server did not confirm the close in time: the pool drops the connection (freeing the seat). */
  readonly onStuck: () => void;
}

const STDERR_TAIL = 2_000;

export function openStreamChannel(client: Client, run: StreamRun): Promise<ExecStream> {
  return new Promise<ExecStream>((resolve, reject) => {
    let gone = false;
    const channelGone = (): void => {
      if (gone) return;
      gone = true;
      run.onChannelGone();
    };
    const opened = (err: Error | undefined, ch: ClientChannel): void => {
      if (err) {
        channelGone();
        reject(channelError(err, run.target));
        return;
      }
      let stderr = '';
      let exitCode: number | undefined;
      let closedByUs = false;
      let settle!: (end: StreamEnd) => void;
      const ended = new Promise<StreamEnd>((r) => (settle = r));
      ch.on('data', (chunk: Buffer) => run.onStdout(chunk));
      ch.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      ch.on('exit', (code: number | null, signalName?: string) => {
        exitCode = code ?? (signalName === 'KILL' ? 137 : 255);
      });
      ch.on('error', () => undefined);
      const close = (): void => {
        if (gone) return;
        closedByUs = true;
        try {
          ch.signal('KILL');
        } catch {
          /* a server without signals hangs the command up when the channel closes */
        }
        ch.close();
        const grace = setTimeout(() => {
          if (!gone) run.onStuck();
        }, run.closeGraceMs);
        grace.unref();
      };
      const onAbort = (): void => close();
      run.signal?.addEventListener('abort', onAbort, { once: true });
      ch.on('close', () => {
        channelGone();
        run.signal?.removeEventListener('abort', onAbort);
        const reason = closedByUs ? 'closed by us' : exitCode !== undefined ? `exited ${exitCode}` : 'the channel or its connection closed';
        settle({ ...(exitCode === undefined ? {} : { exitCode }), reason, stderrTail: stderr.trim() });
      });
      resolve({
        write: (data) => {
          if (gone) return false;
          try {
            return ch.write(data) || true;
          } catch {
            return false;
          }
        },
        close,
        ended,
      });
      if (run.signal?.aborted) close();
    };
    try {
      client.exec(run.command, opened);
    } catch (err) {
      channelGone();
      reject(channelError(err, run.target));
    }
  });
}
