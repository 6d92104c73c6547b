/**
 * The desired state of a rack, as the rest of the program sees it: rack.yaml parsed, validated,
 * defaults merged into every Pi, file contents resolved, then deep-frozen. Code behind
 * `loadRack` trusts these types and never re-checks them.
 */

export type PowerState = 'on' | 'off';

export interface NetworkSpec {
  /** CIDR, e.g. 192.168.23.0/24. Every fixed IP lies inside it. */
  readonly subnet: string;
  readonly master: string;
  readonly gateway: string;
  readonly dhcp: DhcpSpec;
}

export interface DhcpSpec {
  /** Addresses dnsmasq hands to Pis that are not enlisted yet. */
  readonly dynamicRange: readonly [string, string];
  /** dnsmasq --dhcp-hostsfile: one `MAC,IP` line per enlisted Pi; rewritten atomically, then SIGHUP. */
  readonly hostsFile: string;
  readonly leasesFile: string;
  /** PID file of the dnsmasq to SIGHUP after the hosts file changed. */
  readonly pidFile: string;
}

export interface SshSpec {
  readonly user: string;
  readonly port: number;
  /** Private key the daemon logs in with; its public half is always kept in authorized_keys. */
  readonly keyFile: string;
  readonly connectTimeoutMs: number;
  readonly execTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  /** Pis worked on at once. */
  readonly concurrency: number;
  /** Sessions (channels) open at once on one connection; OpenSSH's MaxSessions defaults to 10. */
  readonly maxSessionsPerConnection: number;
  /** First contact with a freshly flashed Pi: password login, then only the key. */
  readonly bootstrap?: {
    readonly user: string;
    /** File holding the password (not committed). The password itself never enters the model. */
    readonly passwordFile: string;
  };
  /**
   * Present when `user` is not root: every command runs through sudo. `passwordFile` holds the
   * user's sudo password (ssh.sudo.passwordFile, or the bootstrap password file of the same user,
   * `fromBootstrap`); absent, sudo must not ask (NOPASSWD).
   */
  readonly sudo?: {
    readonly passwordFile?: string;
    readonly fromBootstrap: boolean;
  };
}

export type RelayDriverName = 'onoff' | 'gpiod' | 'lab' | 'manual';

export interface RelaySpec {
  readonly driver: RelayDriverName;
  /** Relay boards like the original's switch the stack ON when the pin is driven LOW. */
  readonly activeLow: boolean;
  /** gpiochip label to look up (sysfs base or gpiod chip), e.g. pinctrl-bcm2835. */
  readonly chipLabel?: string;
  /** Delay between stacks when powering many at once, to spare the power supply. */
  readonly staggerMs: number;
}

export interface PowerCyclePolicy {
  readonly enabled: boolean;
  readonly afterUnreachableMs: number;
  readonly maxCyclesPerHour: number;
  readonly minOffMs: number;
}

export interface PoliciesSpec {
  readonly powerCycle: PowerCyclePolicy;
  /** `apt-get update` runs only when the package lists are older than this. */
  readonly aptListsMaxAgeMs: number;
  /** Seconds dpkg/apt wait for the dpkg lock before giving up. */
  readonly dpkgLockTimeoutSeconds: number;
  /** How often every Pi is looked at even without an event. */
  readonly resyncIntervalMs: number;
  /** Backoff for a Pi whose pass failed: base doubling up to max. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Enlistment: how long to watch DHCP for a stack's new Pis before warning. */
  readonly enlistWindowMs: number;
}

export interface AuthorizedKeysSpec {
  /** Account whose ~/.ssh/authorized_keys is managed. */
  readonly user: string;
  /** Public key lines (`type base64 [comment]`), the daemon's own key included. */
  readonly keys: readonly string[];
  /** Remove keys not declared here (the daemon's own key is never removed). */
  readonly exclusive: boolean;
}

export interface PackageSpec {
  readonly name: string;
  readonly state: 'present' | 'absent';
}

export interface FileSpec {
  readonly path: string;
  /** Resolved content (from `content` or `source`). */
  readonly content: string;
  /** Hex sha256 of content, compared with what the probe reads. */
  readonly sha256: string;
  readonly owner: string;
  readonly group: string;
  /** Octal string such as "0644". */
  readonly mode: string;
}

export interface ServiceSpec {
  readonly name: string;
  readonly enabled: boolean;
  readonly running: boolean;
  /** Managed file paths whose change restarts this service (its unit file is implied). */
  readonly restartOnChangeOf: readonly string[];
}

/** Everything desired of one Pi: rack defaults merged with the Pi's own overrides. */
export interface NodeSpec {
  readonly id: number;
  readonly stack: number;
  readonly ip: string;
  readonly mac?: string;
  readonly hostname?: string;
  /** The stack's labels with the Pi's own over them (src/model/selector.ts matches them). */
  readonly labels?: Labels;
  readonly authorizedKeys: AuthorizedKeysSpec;
  readonly packages: readonly PackageSpec[];
  readonly files: readonly FileSpec[];
  readonly services: readonly ServiceSpec[];
  /** rack.yaml's master.aptProxy: every apt-get on this Pi goes through it (controllers/packages.ts). */
  readonly aptProxy?: string;
}

/** rack.yaml `master:` (docs/master.md, "What the master serves the rack"). */
export interface MasterSpec {
  /** An http(s) URL such as http://192.168.23.11:3142, as apt's Acquire::http::Proxy takes it. */
  readonly aptProxy?: string;
}

export interface StackSpec {
  readonly id: number;
  /** Row and column in the rack's grid, 1-based, as the original's structure_rack.ini. */
  readonly x: number;
  readonly y: number;
  /** BCM GPIO line of the stack's relay (absent with the lab and manual drivers). */
  readonly relayPin?: number;
  readonly power: PowerState;
  readonly labels?: Labels;
  readonly nodes: readonly NodeSpec[];
}

/** `key: value` labels of a Pi or a stack. */
export type Labels = Readonly<Record<string, string>>;

/** rack.yaml `http:` (settings the API reads per request, so a new revision applies at once). */
export interface HttpSpec {
  /** Opt-in CORS: origins allowed to call the API from a browser (with the bearer token). */
  readonly cors?: { readonly origins: readonly string[]; readonly credentials: boolean };
}

export type AlertEvent =
  | 'pi-lost'
  | 'pi-back'
  | 'stack-power-cycled'
  | 'revision-rejected'
  | 'quarantine'
  | 'throttling'
  | 'under-voltage'
  | 'enlistment-finished';

/** One named webhook of rack.yaml `alerts.webhooks`. */
export interface WebhookSpec {
  readonly name: string;
  readonly url: string;
  readonly events: readonly AlertEvent[];
  /** Least time between two deliveries of the same event and target to this webhook. */
  readonly minIntervalMs: number;
}

export interface ActionSpec {
  readonly name: string;
  readonly command: string;
  readonly description?: string;
  /** Takes the Pi away for a while (like reboot): run rolling, batch by batch, waiting for Ready. */
  readonly disruptive?: boolean;
}

export interface RackSpec {
  readonly name: string;
  readonly grid: { readonly rows: number; readonly cols: number };
  readonly network: NetworkSpec;
  /** rack.yaml `master:`, what the master offers the Pis; absent when not written. */
  readonly master?: MasterSpec;
  readonly ssh: SshSpec;
  readonly relay: RelaySpec;
  readonly policies: PoliciesSpec;
  readonly stacks: readonly StackSpec[];
  /** Every Pi of every stack, in stack then declaration order. */
  readonly nodes: readonly NodeSpec[];
  readonly actions: readonly ActionSpec[];
  readonly http?: HttpSpec;
  readonly webhooks?: readonly WebhookSpec[];
  /** Content hash of the rack.yaml text (or the git commit when read from git). */
  readonly revision: string;
  /** Where it was read from, for messages. */
  readonly sourcePath: string;
}
