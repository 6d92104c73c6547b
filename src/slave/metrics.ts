/**
 * Health figures of the Pi the slave runs on, read from /proc and /sys: no bc, no shell.
 * The /proc root is a parameter so tests read fixture files. These pseudo-files are read
 * synchronously: they never block, and the watch stream reads them every second, where the
 * promise API's thread-pool round trips cost about seven times the CPU.
 */
import * as fs from 'node:fs';

function readText(path: string): string {
  return fs.readFileSync(path, 'utf8');
}

import type { LiveHealth } from './protocol.ts';

export interface CpuSample {
  readonly busy: number;
  readonly total: number;
}

/** What `health` prints and `/health` serves: the heartbeat's figures plus the hostname. */
export interface Health extends LiveHealth {
  readonly hostname: string;
}

export function parseCpuLine(stat: string): CpuSample {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export function cpuPercentBetween(a: CpuSample, b: CpuSample): number {
  const total = b.total - a.total;
  if (total <= 0) return 0;
  return Math.round(((b.busy - a.busy) / total) * 1000) / 10;
}

export function parseMeminfo(text: string): { totalKb: number; availableKb: number } {
  const value = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { totalKb: value('MemTotal'), availableKb: value('MemAvailable') };
}

export async function sampleCpu(procRoot = '/proc'): Promise<CpuSample> {
  return parseCpuLine(readText(`${procRoot}/stat`));
}

export async function readTemperature(sysRoot = '/sys'): Promise<number | null> {
  try {
    const milli = Number(readText(`${sysRoot}/class/thermal/thermal_zone0/temp`).trim());
    return Number.isFinite(milli) ? milli / 1000 : null;
  } catch {
    return null;
  }
}

/** Free and total bytes of the root filesystem; nulls where statfs is missing (Node < 18.15). */
export async function readDisk(path = '/'): Promise<{ freeBytes: number | null; totalBytes: number | null }> {
  // statfsSync appeared in Node 18.15; bookworm has 18.19, older Pis report null.
  const statfsSync = (fs as { statfsSync?: typeof fs.statfsSync }).statfsSync;
  if (typeof statfsSync !== 'function') return { freeBytes: null, totalBytes: null };
  try {
    const s = statfsSync(path);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return { freeBytes: null, totalBytes: null };
  }
}

export interface HealthRoots {
  readonly proc: string;
  readonly sys: string;
  /** Filesystem whose free space is reported. */
  readonly disk: string;
}

const ROOTS: HealthRoots = { proc: '/proc', sys: '/sys', disk: '/' };

export async function readHealth(cpuPercent: number, throttled: number | null = null, roots: HealthRoots = ROOTS): Promise<Health> {
  const meminfo = readText(`${roots.proc}/meminfo`);
  const loadavg = readText(`${roots.proc}/loadavg`);
  const uptime = readText(`${roots.proc}/uptime`);
  let hostname = 'unknown';
  try {
    hostname = readText(`${roots.proc}/sys/kernel/hostname`);
  } catch {
    /* keep 'unknown' */
  }
  const [temperatureC, disk] = await Promise.all([readTemperature(roots.sys), readDisk(roots.disk)]);
  const mem = parseMeminfo(meminfo);
  const [load1, load5, load15] = loadavg.split(' ').map(Number);
  return {
    hostname: hostname.trim(),
    cpuPercent,
    temperatureC,
    memTotalKb: mem.totalKb,
    memAvailableKb: mem.availableKb,
    load1: load1 ?? 0,
    load5: load5 ?? 0,
    load15: load15 ?? 0,
    uptimeSeconds: Number(uptime.split(' ')[0]),
    diskFreeBytes: disk.freeBytes,
    diskTotalBytes: disk.totalBytes,
    throttled,
  };
}

/** The heartbeat's part of a Health reading (the hostname never changes under a stream). */
export function liveHealth(health: Health): LiveHealth {
  const { hostname: _hostname, ...live } = health;
  return live;
}

/** Prometheus text exposition of a Health reading. */
export function toPrometheus(health: Health): string {
  const lines = [
    '# HELP pirack_slave_cpu_percent CPU busy over the last sampling interval.',
    '# TYPE pirack_slave_cpu_percent gauge',
    `pirack_slave_cpu_percent ${health.cpuPercent}`,
    '# TYPE pirack_slave_memory_total_bytes gauge',
    `pirack_slave_memory_total_bytes ${health.memTotalKb * 1024}`,
    '# TYPE pirack_slave_memory_available_bytes gauge',
    `pirack_slave_memory_available_bytes ${health.memAvailableKb * 1024}`,
    '# TYPE pirack_slave_load1 gauge',
    `pirack_slave_load1 ${health.load1}`,
    '# TYPE pirack_slave_uptime_seconds gauge',
    `pirack_slave_uptime_seconds ${health.uptimeSeconds}`,
  ];
  if (health.diskFreeBytes !== null)
    lines.push('# TYPE pirack_slave_disk_free_bytes gauge', `pirack_slave_disk_free_bytes ${health.diskFreeBytes}`);
  if (health.throttled !== null) lines.push('# TYPE pirack_slave_throttled gauge', `pirack_slave_throttled ${health.throttled}`);
  if (health.temperatureC !== null)
    lines.push('# TYPE pirack_slave_temperature_celsius gauge', `pirack_slave_temperature_celsius ${health.temperatureC}`);
  return `${lines.join('\n')}\n`;
}
