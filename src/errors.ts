/**
 * The one error catalogue. Every error a user can see has a stable code, says what happened and
 * what to do, keeps the underlying error as `cause`, and carries `transient`: the reconcile loop
 * retries transient errors with backoff and reports the others until something changes. Each code
 * carries the HTTP status an API answer with it has; docs/errors.md documents every code (a unit
 * test keeps the two in step).
 */

interface ErrorDef {
  /** The HTTP status an API answer carrying this code has (fastify's lib/errors.js manner). */
  readonly status: number;
  /** Only the API's own codes: the CamelCase word of the JSON error body. */
  readonly reason?: string;
  readonly transient: boolean;
  /** What to do about it; shown after the message. */
  readonly hint: string;
}

export const ERRORS = {
  PIRACK_ERR_CONFIG_PARSE: { status: 422, transient: false, hint: 'Fix the YAML syntax at the position shown.' },
  PIRACK_ERR_CONFIG_INVALID: { status: 422, transient: false, hint: 'Fix rack.yaml as each message says; nothing was applied.' },
  PIRACK_ERR_CONFIG_READ: { status: 500, transient: false, hint: 'Check the path and that the file is readable.' },
  PIRACK_ERR_IMPORT: { status: 422, transient: false, hint: 'Fix the input files as the message says and run the import again.' },
  PIRACK_ERR_SSH_UNREACHABLE: {
    status: 502,
    transient: true,
    hint: 'Check that the Pi is powered and on the network; it is retried with backoff.',
  },
  PIRACK_ERR_STREAM_LOST: {
    status: 502,
    transient: true,
    hint: 'The Pi stopped sending heartbeats or its watch stream closed: check its power and network; it is reopened within seconds.',
  },
  PIRACK_ERR_SSH_AUTH: {
    status: 502,
    transient: true,
    hint: 'Check the bootstrap password file or that the daemon key is in authorized_keys.',
  },
  PIRACK_ERR_SUDO_AUTH: {
    status: 502,
    transient: false,
    hint: "Put the login user's password in the file ssh.sudo.passwordFile names (or give the user NOPASSWD sudo); nothing was run as root.",
  },
  PIRACK_ERR_SUDO_DENIED: {
    status: 502,
    transient: false,
    hint: 'Give the login user sudo on the Pi (`usermod -aG sudo USER`, or a file in /etc/sudoers.d) or log in as root; nothing was run as root.',
  },
  PIRACK_ERR_SSH_HOSTKEY_CHANGED: {
    status: 502,
    transient: false,
    hint: 'If the Pi was reinstalled on purpose, run `pirack hostkey repin <pi>`; otherwise investigate.',
  },
  PIRACK_ERR_SSH_TIMEOUT: { status: 504, transient: true, hint: 'The Pi is slow or the network lossy; it is retried with backoff.' },
  PIRACK_ERR_SSH_CHANNEL: { status: 502, transient: true, hint: 'The connection dropped; it is re-opened and retried.' },
  PIRACK_ERR_ABORTED: { status: 503, transient: true, hint: 'The operation was cancelled (shutdown or a newer desired state).' },
  PIRACK_ERR_PROBE_GARBAGE: {
    status: 502,
    transient: true,
    hint: 'The Pi answered the probe with output PiRack cannot read; check its shell and coreutils.',
  },
  PIRACK_ERR_COMMAND_FAILED: { status: 500, transient: true, hint: 'See stderr in the status report; it is retried with backoff.' },
  PIRACK_ERR_DPKG_LOCKED: {
    status: 503,
    transient: true,
    hint: 'Another apt or dpkg is running on the Pi; it is retried once the lock is free.',
  },
  PIRACK_ERR_DPKG_BROKEN: {
    status: 500,
    transient: false,
    hint: 'dpkg reports half-installed packages; run `dpkg --configure -a` on the Pi after checking why.',
  },
  PIRACK_ERR_PKG_NOT_FOUND: { status: 422, transient: false, hint: "Check the package name and the Pi's apt sources." },
  PIRACK_ERR_DISK_FULL: { status: 507, transient: true, hint: 'Free space on the Pi; nothing was half-written.' },
  PIRACK_ERR_RELAY: { status: 502, transient: true, hint: 'Check the relay driver settings and GPIO permissions.' },
  PIRACK_ERR_RELAY_UNKNOWN_STATE: {
    status: 409,
    transient: false,
    hint: "The relay level cannot be read back; set the stack's power explicitly.",
  },
  PIRACK_ERR_DHCP: { status: 502, transient: true, hint: 'Check dnsmasq is running and its hosts and leases paths.' },
  PIRACK_ERR_REPLACE_REFUSED: {
    status: 409,
    transient: false,
    hint: 'Nothing was changed: do what the message says (--force for a Pi that still answers, --mac when several new MACs lease, --cycle-stack or power the new Pi, --yes).',
  },
  PIRACK_ERR_REPLACE_INCOMPLETE: {
    status: 504,
    transient: false,
    hint: 'The new MAC is bound and its host key pinned, but the Pi is not at its fixed IP yet: reboot it (or cycle its stack), then check `pirack status`.',
  },
  PIRACK_ERR_STATE: { status: 500, transient: false, hint: 'Check the state directory is writable.' },
  PIRACK_ERR_LAB: {
    status: 500,
    transient: false,
    hint: 'Run `pirack lab down` then `pirack lab up` again; see the message for the failing step.',
  },
  PIRACK_ERR_USAGE: { status: 400, transient: false, hint: 'Run the command with --help.' },
  PIRACK_ERR_SELECTOR: {
    status: 400,
    transient: false,
    hint: 'Write the selector as key=value[,key!=value,key,!key] with label keys rack.yaml declares (labels: on stacks and Pis).',
  },
  PIRACK_ERR_DAEMON_UNREACHABLE: {
    status: 503,
    transient: true,
    hint: 'Check that the daemon is running and listening (its log says why not); a daemon.json whose PID does not hold the state dir lock is ignored.',
  },
  PIRACK_ERR_DAEMON_RUNNING: {
    status: 409,
    transient: false,
    hint: 'Stop that daemon first (`systemctl stop pirack` when the unit runs it), or give this one another --state-dir.',
  },
  PIRACK_ERR_MASTER_PREREQUISITE: {
    status: 424,
    transient: false,
    hint: 'Install what the message names (apt-get install …) and run `pirack master install` again; nothing was changed.',
  },
  PIRACK_ERR_NOT_A_PI: {
    status: 412,
    transient: false,
    hint: 'Run it on the master Pi, or pass --force on a lab or test machine; nothing was changed.',
  },
  PIRACK_ERR_MASTER_CONFLICT: {
    status: 409,
    transient: false,
    hint: 'A file PiRack would write is not its own: move it aside or remove it, then run the command again; nothing was changed.',
  },
  PIRACK_ERR_BACKUP: {
    status: 422,
    transient: false,
    hint: 'Check the backup file (made by `pirack master backup`) and the state dir; nothing was changed.',
  },
  // The API's own refusals. `reason` is the stable CamelCase word of the JSON error body.
  PIRACK_ERR_HTTP_BAD_REQUEST: {
    status: 400,
    reason: 'BadRequest',
    transient: false,
    hint: 'Check the request against the API documentation (src/http/README.md).',
  },
  PIRACK_ERR_HTTP_UNAUTHORIZED: {
    status: 401,
    reason: 'Unauthorized',
    transient: false,
    hint: 'Log in, or send Authorization: Bearer <admin token>.',
  },
  PIRACK_ERR_HTTP_FORBIDDEN: {
    status: 403,
    reason: 'Forbidden',
    transient: false,
    hint: "Send cookie-authenticated changes from the dashboard's own origin, or use the bearer token.",
  },
  PIRACK_ERR_HTTP_NOT_FOUND: {
    status: 404,
    reason: 'NotFound',
    transient: false,
    hint: 'See src/http/README.md for the routes, and the status for the ids.',
  },
  PIRACK_ERR_HTTP_TIMEOUT: {
    status: 408,
    reason: 'RequestTimeout',
    transient: true,
    hint: 'Send the whole request at once; slow or unfinished requests are dropped.',
  },
  PIRACK_ERR_HTTP_CONFLICT: {
    status: 409,
    reason: 'Conflict',
    transient: true,
    hint: 'The daemon is not in a state to do this now; see the message and the status.',
  },
  PIRACK_ERR_HTTP_TOO_LARGE: {
    status: 413,
    reason: 'PayloadTooLarge',
    transient: false,
    hint: 'Request bodies are small JSON objects; send less.',
  },
  PIRACK_ERR_HTTP_MEDIA_TYPE: {
    status: 415,
    reason: 'UnsupportedMediaType',
    transient: false,
    hint: 'Send Content-Type: application/json.',
  },
  PIRACK_ERR_HTTP_RATE_LIMITED: {
    status: 429,
    reason: 'TooManyRequests',
    transient: true,
    hint: 'Too many failed attempts from this address; wait a minute and use the right token.',
  },
  PIRACK_ERR_HTTP_HEADERS_TOO_LARGE: {
    status: 431,
    reason: 'HeadersTooLarge',
    transient: false,
    hint: 'Send fewer or shorter headers (cookies included).',
  },
  PIRACK_ERR_HTTP_INTERNAL: { status: 500, reason: 'Internal', transient: false, hint: 'See the daemon log.' },
  PIRACK_ERR_HTTP_UNAVAILABLE: { status: 503, reason: 'Unavailable', transient: true, hint: 'Try again later.' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes the API answers with itself (they carry a `reason`). */
export type HttpErrorCode = { [K in ErrorCode]: (typeof ERRORS)[K] extends { reason: string } ? K : never }[ErrorCode];
export type HttpReason = (typeof ERRORS)[HttpErrorCode]['reason'];

/** The API's own code for an HTTP status, if it has one: found in the catalogue, not in a second list. */
export function httpCodeForStatus(status: number): HttpErrorCode | undefined {
  for (const [code, def] of Object.entries(ERRORS)) if (def.status === status && 'reason' in def) return code as HttpErrorCode;
  return undefined;
}

export interface ErrorOptions {
  readonly cause?: unknown;
  /** Where: `rack.yaml:12:5`, `pi 7`, `stack 2`. */
  readonly where?: string;
}

export class PiRackError extends Error {
  readonly code: ErrorCode;
  readonly transient: boolean;
  readonly hint: string;
  /** The HTTP status an API answer with this error carries. */
  readonly status: number;
  readonly where?: string;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PiRackError';
    this.code = code;
    this.transient = ERRORS[code].transient;
    this.hint = ERRORS[code].hint;
    this.status = ERRORS[code].status;
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
