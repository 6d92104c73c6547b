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

/** How a long-lived exec channel ended. */
export interface StreamEnd {
  /** Exit status when the command reported one (128+N for death by signal N). */
  readonly exitCode?: number;
  /** Why it ended, for a person: "exited 127", "connection closed", "closed by us". */
  readonly reason: string;
  /** Last bytes of stderr, where the command said why it gave up. */
  readonly stderrTail: string;
}

export interface StreamOptions {
  readonly onStdout: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
}

/** One open long-lived channel: no timeout, stdin kept open for more lines. */
export interface ExecStream {
  /** Writes to the command's stdin; false once the channel is gone. */
  write(data: string): boolean;
  /** Closes the channel (the command is sent SIGKILL); `ended` resolves soon after. */
  close(): void;
  /** Settles once the channel is gone, whatever the cause; never rejects. */
  readonly ended: Promise<StreamEnd>;
}

/**
 * Runners that can hold a long-lived channel open (the watch stream). Separate from SshRunner so
 * test doubles of the runner need not implement it.
 */
export interface SshStreamer {
  /**
   * Opens `command` on the node's connection, exempt from the exec timeout. It takes one of the
   * connection's session seats for as long as it runs; at most one per node, and only when the
   * seat limit leaves at least one seat for commands. Rejects like `exec` when it cannot start.
   */
  openStream(target: SshTarget, command: string, options: StreamOptions): Promise<ExecStream>;
}
