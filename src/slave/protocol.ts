/**
 * The watch stream's wire format, shared by the slave (`pirack-slave watch`, on the Pi) and the
 * master's stream client (src/stream/). One JSON object per line in each direction:
 *
 *   master → slave (stdin):   {"type":"spec", ...WatchSpec}       at start and on every new revision
 *   slave → master (stdout):  {"type":"hello","protocol":1,...}   first line, before anything else
 *                             {"type":"watching","revision":...}  a spec was taken; its problems
 *                             {"type":"heartbeat","seq":n,...}    about once a second, with health
 *                             {"type":"change","what":...}        something managed may have changed
 *
 * Bump PROTOCOL_VERSION when a line changes meaning; the master refuses a slave whose version it
 * does not speak and falls back to polling, as it does for a slave that has no `watch` at all.
 * This file is bundled into the slave: no imports beyond node's.
 */

export const PROTOCOL_VERSION = 1;

/** Longest line either side accepts; anything longer is dropped whole. */
export const MAX_LINE_BYTES = 64 * 1024;

/** What the master asks one Pi to watch: its desired state's paths, packages and units. */
export interface WatchSpec {
  /** The rack.yaml revision the spec comes from, echoed back in `watching`. */
  readonly revision: string;
  /** Absolute paths of managed files. */
  readonly files: readonly string[];
  /** The account whose ~/.ssh/authorized_keys is managed (home looked up on the Pi). */
  readonly authorizedKeysUser?: string;
  /** Managed package names; any dpkg status change is reported (the names are for the log). */
  readonly packages: readonly string[];
  /** Managed systemd unit names. */
  readonly units: readonly string[];
}

export type ChangeWhat = 'file' | 'keys' | 'packages' | 'unit';

/** Live health, as the heartbeat carries it. Null where the Pi cannot tell. */
export interface LiveHealth {
  /** CPU busy over the last heartbeat interval, 0–100. */
  readonly cpuPercent: number;
  readonly temperatureC: number | null;
  readonly memTotalKb: number;
  readonly memAvailableKb: number;
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
  readonly uptimeSeconds: number;
  readonly diskFreeBytes: number | null;
  readonly diskTotalBytes: number | null;
  /** `vcgencmd get_throttled` bits (under-voltage, throttling…); null without vcgencmd. */
  readonly throttled: number | null;
}

export interface HelloLine {
  readonly type: 'hello';
  readonly protocol: number;
  readonly slave: 'pirack-slave';
  /** The Pi's Node.js version, for the log. */
  readonly node: string;
  /** How unit state changes are seen: 'dbus', or why they are not. */
  readonly units: string;
}

export interface WatchingLine {
  readonly type: 'watching';
  readonly revision: string;
  /** Paths or units that could not be watched, each with why; the resync covers them. */
  readonly problems: readonly string[];
}

export interface HeartbeatLine {
  readonly type: 'heartbeat';
  readonly seq: number;
  readonly health: LiveHealth;
}

export interface ChangeLine {
  readonly type: 'change';
  readonly what: ChangeWhat;
  /** The path, unit or 'dpkg-status' the notice is about. */
  readonly detail: string;
  /** Events folded into this notice since the previous one for the same detail. */
  readonly count: number;
}

export type SlaveLine = HelloLine | WatchingLine | HeartbeatLine | ChangeLine;
export type MasterLine = { readonly type: 'spec' } & WatchSpec;
