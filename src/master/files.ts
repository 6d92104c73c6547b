/**
 * The text of each file `pirack master install` writes, from its settings and rack.yaml. Pure:
 * the install compares these with what is on disk, so a second run with the same settings
 * changes nothing.
 */
import ipaddr from 'ipaddr.js';
import type { NetworkSpec } from '../model/desired.ts';
import { MANAGED_MARK } from './layout.ts';

export interface UnitSettings {
  /** The Node.js that runs the daemon (a current one: Debian 12's nodejs 18 is too old). */
  readonly node: string;
  /** The installed `pirack` entry point (bin/pirack.mjs of the package). */
  readonly bin: string;
  /** `daemon` and its options (--rack or --git, --state-dir, --listen, …), already split. */
  readonly daemonArgs: readonly string[];
  /** The state dir: must be under /var/lib, so systemd's StateDirectory creates and owns it. */
  readonly stateDir: string;
  /** The daemon's working directory: where rack.yaml and secrets/ are. */
  readonly workDir: string;
}

/**
 * systemd quotes: each argument in double quotes, with `\`, `"`, `$` and `%` escaped, so that no
 * value is split, expanded or read as a specifier (systemd.service(5), "Command lines").
 */
export function systemdQuote(arg: string): string {
  return `"${arg
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/\$/g, '$$$$')
    .replace(/%/g, '%%')}"`;
}

/** `/var/lib/pirack` → `pirack`: what StateDirectory= takes. */
export function stateDirectoryName(stateDir: string): string | undefined {
  const m = /^\/var\/lib\/([^/].*?)\/?$/.exec(stateDir);
  return m?.[1];
}

/**
 * A path setting such as WorkingDirectory= takes the path as it is: systemd refuses it quoted
 * ("path is not absolute"), so only its specifiers are escaped. A control character would end
 * the line and start a setting of its own, so such a path is refused.
 */
export function systemdPath(path: string): string {
  if (!path.startsWith('/') || /[\0-\x1f\x7f]/.test(path))
    throw new Error(`not an absolute path without control characters: ${JSON.stringify(path)}`);
  return path.replace(/%/g, '%%');
}

export function unitText(s: UnitSettings): string {
  const name = stateDirectoryName(s.stateDir);
  if (name === undefined) throw new Error(`state dir ${s.stateDir} is not under /var/lib`);
  const exec = [s.node, s.bin, ...s.daemonArgs].map(systemdQuote).join(' ');
  return `${MANAGED_MARK}
[Unit]
Description=PiRack daemon: keeps the rack equal to rack.yaml
Wants=network-online.target
After=network-online.target dnsmasq.service

[Service]
Type=simple
ExecStart=${exec}
WorkingDirectory=${systemdPath(s.workDir)}
# One JSON line per event, prefixed <N> with the syslog priority of its pino level (journalctl -p).
Environment=PIRACK_LOG_FORMAT=journal
SyslogIdentifier=pirack
StateDirectory=${name}
StateDirectoryMode=0700
UMask=0077
# A crash restarts it; a clean stop (systemctl stop) does not. A restart never touches a relay.
# SIGTERM goes to the daemon alone: it finishes or aborts its own work, and the gpioset, ssh or
# apt children it waits for are not killed under it first (a relay read-back killed by the
# stop would read "unknown" and be planned as a switch-on). What is left is killed at the end.
KillMode=mixed
Restart=on-failure
RestartSec=5s
TimeoutStopSec=30s

[Install]
WantedBy=multi-user.target
`;
}

export interface DnsmasqSettings {
  readonly network: NetworkSpec;
  /** The master's interface on the rack's subnet. */
  readonly interface: string;
  /** Offer the master as NTP server (when it serves time). */
  readonly ntp: boolean;
}

/**
 * A drop-in for Debian's dnsmasq (it reads /etc/dnsmasq.d/*.conf): DHCP on the rack's interface
 * only, with the files rack.yaml names. DNS stays as the user set it up; nothing here overrides
 * /etc/dnsmasq.conf beyond the rack's interface.
 */
export function dnsmasqDropInText(s: DnsmasqSettings): string {
  const { network } = s;
  const [, prefix] = ipaddr.parseCIDR(network.subnet);
  const mask = ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString();
  const lines = [
    MANAGED_MARK,
    `# DHCP for the rack ${network.subnet} on ${s.interface}. Fixed addresses come from the hosts file the daemon writes.`,
    `interface=${s.interface}`,
    `dhcp-range=${s.interface},${network.dhcp.dynamicRange[0]},${network.dhcp.dynamicRange[1]},${mask},1h`,
    `dhcp-hostsfile=${network.dhcp.hostsFile}`,
    `dhcp-leasefile=${network.dhcp.leasesFile}`,
    `dhcp-option=${s.interface},option:router,${network.gateway}`,
    ...(s.ntp ? [`dhcp-option=${s.interface},option:ntp-server,${network.master}`] : []),
    'dhcp-authoritative',
  ];
  return `${lines.join('\n')}\n`;
}

/** chrony serves time to the rack's subnet, and keeps serving its own clock when the uplink is down. */
export function chronyDropInText(network: NetworkSpec): string {
  return `${MANAGED_MARK}
allow ${network.subnet}
local stratum 10
`;
}

/** apt-cacher-ng answers the rack on its usual port; each .deb is fetched once over the uplink. */
export function aptCacherDropInText(): string {
  return `${MANAGED_MARK}
Port:3142
`;
}
