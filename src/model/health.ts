/** A Pi's live health, as the master keeps it (from the watch stream's heartbeat, or an operator's cpu/temperature action). All optional: a figure the Pi cannot tell is absent. */
export interface PiHealth {
  readonly cpuPercent?: number;
  readonly temperatureC?: number;
  readonly memUsedPercent?: number;
  readonly memTotalKb?: number;
  readonly memAvailableKb?: number;
  readonly load1?: number;
  readonly load5?: number;
  readonly load15?: number;
  readonly diskFreeBytes?: number;
  readonly diskTotalBytes?: number;
  readonly uptimeSeconds?: number;
  /** `vcgencmd get_throttled` bits, where the Pi has it. */
  readonly throttled?: number;
}

/** `vcgencmd get_throttled` bits that mean trouble now (Raspberry Pi documentation): 0 under-voltage, 2 throttled. */
const NOW_FLAGS = [
  { bit: 1 << 0, kind: 'under-voltage', message: 'the Pi reports under-voltage (check its power supply)' },
  { bit: 1 << 2, kind: 'throttling', message: 'the Pi is throttled (too hot or under-voltage)' },
] as const;

/** The troubles that newly appeared between two readings of the throttled bits. */
export function newThrottleTroubles(
  before: number | undefined,
  now: number | undefined,
): { kind: 'under-voltage' | 'throttling'; message: string }[] {
  if (now === undefined) return [];
  const rising = now & ~(before ?? 0);
  return NOW_FLAGS.filter((f) => rising & f.bit).map(({ kind, message }) => ({ kind, message }));
}
