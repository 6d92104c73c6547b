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
