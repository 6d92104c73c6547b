/**
 * The one error catalogue. Every error a user can see has a stable code, says what happened and
 * what to do, keeps the underlying error as `cause`, and carries `transient`: the reconcile loop
 * retries transient errors with backoff and reports the others until something changes.
 */

interface ErrorDef {
  readonly transient: boolean;
  /** What to do about it; shown after the message. */
  readonly hint: string;
}

export const ERRORS = {
  PIRACK_ERR_CONFIG_PARSE: { transient: false, hint: 'Fix the YAML syntax at the position shown.' },
  PIRACK_ERR_CONFIG_INVALID: { transient: false, hint: 'Fix rack.yaml as each message says; nothing was applied.' },
  PIRACK_ERR_CONFIG_READ: { transient: false, hint: 'Check the path and that the file is readable.' },
  PIRACK_ERR_IMPORT: { transient: false, hint: 'Fix the input files as the message says and run the import again.' },
  PIRACK_ERR_SSH_UNREACHABLE: { transient: true, hint: 'Check that the Pi is powered and on the network; it is retried with backoff.' },
  PIRACK_ERR_SSH_AUTH: { transient: true, hint: 'Check the bootstrap password file or that the daemon key is in authorized_keys.' },
  PIRACK_ERR_SSH_HOSTKEY_CHANGED: { transient: false, hint: 'If the Pi was reinstalled on purpose, run `pirack hostkey repin <pi>`; otherwise investigate.' },
  PIRACK_ERR_SSH_TIMEOUT: { transient: true, hint: 'The Pi is slow or the network lossy; it is retried with backoff.' },
  PIRACK_ERR_SSH_CHANNEL: { transient: true, hint: 'The connection dropped; it is re-opened and retried.' },
  PIRACK_ERR_ABORTED: { transient: true, hint: 'The operation was cancelled (shutdown or a newer desired state).' },
  PIRACK_ERR_PROBE_GARBAGE: { transient: true, hint: 'The Pi answered the probe with output PiRack cannot read; check its shell and coreutils.' },
  PIRACK_ERR_COMMAND_FAILED: { transient: true, hint: 'See stderr in the status report; it is retried with backoff.' },
  PIRACK_ERR_DPKG_LOCKED: { transient: true, hint: 'Another apt or dpkg is running on the Pi; it is retried once the lock is free.' },
  PIRACK_ERR_DPKG_BROKEN: { transient: false, hint: 'dpkg reports half-installed packages; run `dpkg --configure -a` on the Pi after checking why.' },
  PIRACK_ERR_PKG_NOT_FOUND: { transient: false, hint: 'Check the package name and the Pi\'s apt sources.' },
  PIRACK_ERR_DISK_FULL: { transient: true, hint: 'Free space on the Pi; nothing was half-written.' },
  PIRACK_ERR_RELAY: { transient: true, hint: 'Check the relay driver settings and GPIO permissions.' },
  PIRACK_ERR_RELAY_UNKNOWN_STATE: { transient: false, hint: 'The relay level cannot be read back; set the stack\'s power explicitly.' },
  PIRACK_ERR_DHCP: { transient: true, hint: 'Check dnsmasq is running and its hosts and leases paths.' },
  PIRACK_ERR_STATE: { transient: false, hint: 'Check the state directory is writable.' },
  PIRACK_ERR_LAB: { transient: false, hint: 'Run `pirack lab down` then `pirack lab up` again; see the message for the failing step.' },
  PIRACK_ERR_USAGE: { transient: false, hint: 'Run the command with --help.' },
  PIRACK_ERR_HTTP: { transient: false, hint: 'See the message.' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorOptions {
  readonly cause?: unknown;
  /** Where: `rack.yaml:12:5`, `pi 7`, `stack 2`. */
  readonly where?: string;
}

export class PiRackError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly hint: string;
  readonly where?: string;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PiRackError';
    this.code = code;
    this.transient = ERRORS[code].transient;
    this.hint = ERRORS[code].hint;
    if (options.where !== undefined) this.where = options.where;
  }

  /** One line for people: where, what, what to do. */
  describe(): string {
    const where = this.where ? `${this.where}: ` : '';
    return `${where}${this.message} (${this.code}). ${this.hint}`;
  }

  toJSON(): { code: ErrorCode; message: string; where?: string; transient: boolean } {
    return { code: this.code, message: this.message, transient: this.transient, ...(this.where ? { where: this.where } : {}) };
  }
}

export function pirackError(code: ErrorCode, message: string, options?: ErrorOptions): PiRackError {
  return new PiRackError(code, message, options);
}

export function isPiRackError(value: unknown): value is PiRackError {
  return value instanceof PiRackError;
}
