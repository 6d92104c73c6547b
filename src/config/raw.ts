/**
 * rack.yaml as written, after it passed schemas/rack.schema.json: the shape `resolve` turns into
 * a RackSpec. Optional fields get their defaults in resolve, never here.
 */

/** Strings with a unit (`500ms`, `10s`, `5m`, `1h`) or plain numbers of seconds. */
export type RawDuration = string | number;

/** authorized_keys settings as written in defaults or a Pi's overrides. */
export interface RawAuthorizedKeys {
  user?: string;
  keys?: string[];
  exclusive?: boolean;
}

/** One package entry. */
export interface RawPackage {
  name: string;
  state?: 'present' | 'absent';
}

/** One managed file: exactly one of content or source. */
export interface RawFile {
  path: string;
  content?: string;
  source?: string;
  owner?: string;
  group?: string;
  mode?: string;
}

/** One systemd unit. */
export interface RawService {
  name: string;
  enabled?: boolean;
  running?: boolean;
  restartOnChangeOf?: string[];
}

/** The lists a Pi can replace; also the rack-wide defaults. */
export interface RawNodeLists {
  authorizedKeys?: RawAuthorizedKeys;
  packages?: RawPackage[];
  files?: RawFile[];
  services?: RawService[];
}

/** One Pi of a stack. */
export interface RawPi {
  id: number;
  ip: string;
  mac?: string;
  hostname?: string;
  labels?: Record<string, string>;
  overrides?: RawNodeLists;
}

/** One stack. */
export interface RawStack {
  id: number;
  x: number;
  y: number;
  relayPin?: number;
  power?: 'on' | 'off';
  labels?: Record<string, string>;
  pis: RawPi[];
}

/** The whole document. */
export interface RawRack {
  apiVersion: 'pirack/v1';
  name: string;
  grid: { rows: number; cols: number };
  network: {
    subnet: string;
    master: string;
    gateway: string;
    dhcp: { dynamicRange: [string, string]; hostsFile?: string; leasesFile?: string; pidFile?: string };
  };
  master?: { aptProxy?: string };
  ssh?: {
    user?: string;
    port?: number;
    keyFile?: string;
    connectTimeout?: RawDuration;
    execTimeout?: RawDuration;
    keepaliveInterval?: RawDuration;
    concurrency?: number;
    maxSessionsPerConnection?: number;
    bootstrap?: { user?: string; passwordFile: string };
    sudo?: { passwordFile?: string };
  };
  relay: { driver: 'onoff' | 'gpiod' | 'lab' | 'manual'; activeLow?: boolean; chipLabel?: string; stagger?: RawDuration };
  policies?: {
    powerCycle?: { enabled?: boolean; afterUnreachable?: RawDuration; maxCyclesPerHour?: number; minOff?: RawDuration };
    aptListsMaxAge?: RawDuration;
    dpkgLockTimeout?: RawDuration;
    resyncInterval?: RawDuration;
    backoff?: { base?: RawDuration; max?: RawDuration };
    enlistWindow?: RawDuration;
  };
  defaults?: RawNodeLists;
  stacks: RawStack[];
  actions?: Record<string, { command: string; description?: string; disruptive?: boolean }>;
  http?: { cors?: { origins: string[]; credentials?: boolean } };
  alerts?: { webhooks?: Record<string, { url: string; events: string[]; minInterval?: RawDuration }> };
}
