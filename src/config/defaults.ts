/** What an omitted key means: the values docs/rack-format.md shows. */
export const DEFAULTS = {
  dhcp: { hostsFile: '/etc/pirack/dhcp-hosts', leasesFile: '/var/lib/misc/dnsmasq.leases', pidFile: '/run/dnsmasq/dnsmasq.pid' },
  ssh: {
    user: 'root',
    port: 22,
    keyFile: '/var/lib/pirack/id_ed25519',
    connectTimeout: '10s',
    execTimeout: '10m',
    keepaliveInterval: '15s',
    concurrency: 16,
    maxSessionsPerConnection: 4,
  },
  relay: { activeLow: true, stagger: '2s' },
  policies: {
    powerCycle: { enabled: false, afterUnreachable: '10m', maxCyclesPerHour: 2, minOff: '10s' },
    aptListsMaxAge: '24h',
    dpkgLockTimeout: '120s',
    resyncInterval: '5m',
    backoff: { base: '2s', max: '5m' },
    enlistWindow: '40s',
  },
  file: { owner: 'root', group: 'root', mode: '0644' },
  service: { enabled: true, running: true },
  power: 'on',
  /** A webhook hears of the same event on the same target at most this often. */
  webhook: { minInterval: '1m' },
} as const;
