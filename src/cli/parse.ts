/** Parsers for option values; each throws a USAGE error that names the option and shows an example. */
import { pirackError } from '../errors.ts';

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw pirackError('PIRACK_ERR_USAGE', `--listen expects host:port such as 127.0.0.1:8080, got "${value}"`);
  return { host: match[1] ?? match[2]!, port };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationOption(value: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw pirackError('PIRACK_ERR_USAGE', `${option} expects a duration such as 500ms, 30s, 5m or 1h, got "${value}"`);
  return Number(match[1]) * UNITS[match[2] ?? 's']!;
}
