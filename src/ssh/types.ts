/**
 * What the rest of PiRack needs from SSH. `src/ssh/pool.ts` implements it with ssh2; unit tests
 * swap in plain objects.
 */

export interface ExecOptions {
  /** Cancels the command: the channel is closed and the result is an ABORTED failure. */
  readonly signal?: AbortSignal;
  /** Overrides the rack's exec timeout. */
  readonly timeoutMs?: number;
  /** Written to the command's stdin, then stdin is closed. */
  readonly stdin?: string | Buffer;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A node's address and identity as the SSH layer needs it. */
export interface SshTarget {
  readonly node: number;
  readonly host: string;
  readonly port: number;
}

export interface SshRunner {
  /**
   * Runs `command` (already shell-quoted where it must be) on the node. Resolves with the exit
   * code for any command that ran; rejects with a PiRackError (SSH_UNREACHABLE, SSH_AUTH,
   * SSH_HOSTKEY_CHANGED, SSH_TIMEOUT, SSH_CHANNEL, ABORTED) when it could not run or finish.
   */
  exec(target: SshTarget, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Whether the last login to this node used the bootstrap password rather than the key. */
  usedBootstrap(node: number): boolean;
  /** Drops the node's connection (after a reboot or a power cut), so the next exec reconnects. */
  forget(node: number): void;
  /** Number of open connections, for metrics. */
  connectionCount(): number;
  close(): Promise<void>;
}
