/**
 * The part of the probe that is no controller's: who the Pi is and how it is doing. Read from
 * /proc and /sys so it needs nothing installed (the original's cpu action needed bc).
 */
import { pirackError } from '../errors.ts';
import type { SystemFacts } from '../model/observed.ts';

export const systemProbeScript = [
  'echo "hostname $(hostname)"',
  'for i in /sys/class/net/eth0 /sys/class/net/end0 /sys/class/net/wlan0; do [ -r $i/address ] && { echo "mac $(cat $i/address)"; break; }; done',
  'echo "uptime $(cut -d" " -f1 /proc/uptime)"',
  'echo "load $(cut -d" " -f1 /proc/loadavg)"',
  'awk \'/^MemTotal:/{print "memtotal " $2} /^MemAvailable:/{print "memavail " $2}\' /proc/meminfo',
  '[ -r /sys/class/thermal/thermal_zone0/temp ] && echo "temp $(cat /sys/class/thermal/thermal_zone0/temp)"',
  // user nice system idle iowait irq softirq steal: busy = total - idle - iowait
  'awk \'/^cpu /{t=0; for(i=2;i<=9;i++) t+=$i; print "cpu " (t-$5-$6) " " t}\' /proc/stat',
  'echo "now $(date +%s)"',
  // Debian's flag that an upgrade wants a reboot (a kernel, libc…), with the packages that set it.
  // if/fi, not &&: the section must end with status 0 when the file is absent.
  "if [ -e /var/run/reboot-required ]; then echo \"rebootrequired yes $(cat /var/run/reboot-required.pkgs 2>/dev/null | tr '\\n' ' ')\"; fi",
].join('\n');

export function parseSystemFacts(output: string, where: string): SystemFacts {
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) fields.set(line.slice(0, space), line.slice(space + 1).trim());
  }
  const num = (key: string): number => {
    const value = Number(fields.get(key)?.split(' ')[0]);
    if (!Number.isFinite(value)) throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `system probe: "${key}" missing or not a number`, { where });
    return value;
  };
  const [busy, total] = (fields.get('cpu') ?? '').split(' ').map(Number);
  const temp = fields.get('temp');
  const mac = fields.get('mac');
  return {
    hostname: fields.get('hostname') ?? '',
    ...(mac ? { mac } : {}),
    uptimeSeconds: num('uptime'),
    load1: num('load'),
    memTotalKb: num('memtotal'),
    memAvailableKb: num('memavail'),
    ...(temp !== undefined && Number.isFinite(Number(temp)) ? { temperatureC: Number(temp) / 1000 } : {}),
    cpuBusy: Number.isFinite(busy) ? busy! : 0,
    cpuTotal: Number.isFinite(total) ? total! : 0,
    now: num('now'),
    ...(fields.has('rebootrequired') ? { rebootRequired: (fields.get('rebootrequired') ?? '').split(/\s+/).slice(1).filter(Boolean) } : {}),
  };
}

/** CPU % between two probes of the same Pi; undefined for the first one or after a reboot. */
export function cpuPercent(previous: SystemFacts | undefined, current: SystemFacts): number | undefined {
  if (!previous) return undefined;
  const total = current.cpuTotal - previous.cpuTotal;
  const busy = current.cpuBusy - previous.cpuBusy;
  if (total <= 0 || busy < 0) return undefined;
  return Math.round((busy / total) * 1000) / 10;
}
