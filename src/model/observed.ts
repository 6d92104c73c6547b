/**
 * What one probe of a Pi found: a single SSH round trip gathers every controller's facts.
 * Parsed from the probe's output by `parseProbe`; absent fields mean "could not be read".
 */

export interface AuthorizedKeysFacts {
  /** Whether ~/.ssh/authorized_keys exists. */
  readonly exists: boolean;
  readonly lines: readonly string[];
  /** Octal modes and owner of ~/.ssh and the file, e.g. "700", "root". */
  readonly dirMode?: string;
  readonly fileMode?: string;
  readonly owner?: string;
}

export interface PackageFacts {
  /** dpkg's status abbreviation, e.g. "ii" installed, "rc" removed with config, "un" unknown. */
  readonly status: string;
  readonly version?: string;
}

export interface PackagesFacts {
  readonly byName: Readonly<Record<string, PackageFacts>>;
  /** Newest mtime of the apt lists, epoch seconds; 0 when there are none. */
  readonly listsMtime: number;
  /** Non-empty when `dpkg --audit` reports packages half-installed or half-configured. */
  readonly audit: string;
  /** Packages whose dpkg state needs a reinstall (the `R` error flag): not repairable by us. */
  readonly reinstRequired: readonly string[];
}

export interface FileFacts {
  readonly exists: boolean;
  readonly sha256?: string;
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
}

export interface ServiceFacts {
  /** systemctl is-enabled: enabled, disabled, masked, not-found, … */
  readonly enabled: string;
  /** systemctl is-active: active, inactive, failed, activating, … */
  readonly active: string;
  /** systemd's NeedDaemonReload: the unit file changed on disk since systemd loaded it. */
  readonly needsReload: boolean;
}

export interface SystemFacts {
  readonly hostname: string;
  readonly mac?: string;
  readonly uptimeSeconds: number;
  readonly load1: number;
  readonly memTotalKb: number;
  readonly memAvailableKb: number;
  /** Degrees Celsius, when the Pi has a thermal zone. */
  readonly temperatureC?: number;
  /** Cumulative /proc/stat CPU jiffies; CPU % is the difference between two probes. */
  readonly cpuBusy: number;
  readonly cpuTotal: number;
  /** Epoch seconds on the Pi when probed. */
  readonly now: number;
  /** /var/run/reboot-required exists; the packages /var/run/reboot-required.pkgs names (maybe none). */
  readonly rebootRequired?: readonly string[];
}

/** What the hostname controller reads: the live name, /etc/hostname and /etc/hosts' 127.0.1.1 line. */
export interface HostnameFacts {
  readonly live: string;
  /** First line of /etc/hostname; empty when missing. */
  readonly file: string;
  /** The names of /etc/hosts' 127.0.1.1 line, empty when there is none. */
  readonly hosts: readonly string[];
}

export interface NodeFacts {
  readonly system: SystemFacts;
  readonly authorizedKeys: AuthorizedKeysFacts;
  readonly packages: PackagesFacts;
  readonly files: Readonly<Record<string, FileFacts>>;
  readonly services: Readonly<Record<string, ServiceFacts>>;
  /** Absent in facts gathered without the hostname controller (older fixtures). */
  readonly hostname?: HostnameFacts;
}
