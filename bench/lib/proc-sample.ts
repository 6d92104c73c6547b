/**
 * Resident memory and CPU time of a process from /proc, and the CPU share between two samples.
 * Parsers are pure so they are tested on captured text.
 */
import { readFile } from 'node:fs/promises';

export interface ProcSample {
  /** Monotonic ms when taken. */
  readonly at: number;
  readonly rssKb: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
}

/** VmRSS from /proc/PID/status, in kB. */
export function parseVmRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error('no VmRSS line (has the process exited?)');
  return Number(m[1]);
}

/** utime + stime (fields 14 and 15) from /proc/PID/stat; the command name may hold spaces. */
export function parseCpuTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc/PID/stat');
  return utime + stime;
}

/** Percent of one core used between two samples. */
export function cpuPercentBetween(a: ProcSample, b: ProcSample, ticksPerSecond: number): number {
  const seconds = (b.at - a.at) / 1000;
  if (!(seconds > 0)) throw new RangeError('samples must be taken at increasing times');
  return ((b.cpuTicks - a.cpuTicks) / ticksPerSecond / seconds) * 100;
}

export async function sampleProcess(pid: number, clock: () => number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
  return { at: clock(), rssKb: parseVmRss(status), cpuTicks: parseCpuTicks(stat) };
}

/** CPU % over consecutive windows of `windowSamples` sample intervals each. */
export function windowedCpu(samples: readonly ProcSample[], windowSamples: number, ticksPerSecond: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + windowSamples < samples.length; i += windowSamples) {
    out.push(cpuPercentBetween(samples[i]!, samples[i + windowSamples]!, ticksPerSecond));
  }
  return out;
}
