/**
 * Log lines for journald: each pino JSON line prefixed `<N>`, N the syslog priority of its level,
 * which journald reads and strips (SyslogLevelPrefix=, on by default), so `journalctl -u pirack
 * -p warning` filters PiRack's own levels. Chosen with PIRACK_LOG_FORMAT=journal (the unit sets it).
 */
import type { DestinationStream } from 'pino';
import { writeSync } from 'node:fs';

/** pino level → syslog priority (RFC 5424): trace, debug 7; info 6; warn 4; error 3; fatal 2. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** pino writes `{"level":30,…}`: the level is the first key, so no line is parsed twice. */
export function journalLine(line: string): string {
  const m = /^\{"level":(\d+)/.exec(line);
  return `<${m ? syslogPriority(Number(m[1])) : 6}>${line}`;
}

export function journalDestination(fd = 2): DestinationStream {
  return {
    write(line: string) {
      writeSync(fd, journalLine(line));
    },
  };
}
