/**
 * One line from the slave, checked field by field. Anything that is not exactly a line of the
 * protocol comes back as a reason, never as a half-trusted object: a garbled heartbeat must not
 * count as a sign of life.
 */
import type { ChangeWhat, LiveHealth, SlaveLine } from '../slave/protocol.ts';

const WHATS: readonly ChangeWhat[] = ['file', 'keys', 'packages', 'unit'];

export type Parsed = { readonly ok: true; readonly line: SlaveLine } | { readonly ok: false; readonly why: string };

const bad = (why: string): Parsed => ({ ok: false, why });

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function nullableFinite(v: unknown): v is number | null {
  return v === null || finite(v);
}

function parseHealth(v: unknown): LiveHealth | string {
  if (!v || typeof v !== 'object') return 'health is not an object';
  const h = v as Record<string, unknown>;
  for (const k of ['cpuPercent', 'memTotalKb', 'memAvailableKb', 'load1', 'load5', 'load15', 'uptimeSeconds'] as const) {
    if (!finite(h[k])) return `health.${k} is not a number`;
  }
  for (const k of ['temperatureC', 'diskFreeBytes', 'diskTotalBytes', 'throttled'] as const) {
    if (!nullableFinite(h[k])) return `health.${k} is neither a number nor null`;
  }
  const cpu = h.cpuPercent as number;
  if (cpu < 0 || cpu > 100) return `health.cpuPercent ${cpu} is outside 0-100`;
  return {
    cpuPercent: cpu,
    temperatureC: h.temperatureC as number | null,
    memTotalKb: h.memTotalKb as number,
    memAvailableKb: h.memAvailableKb as number,
    load1: h.load1 as number,
    load5: h.load5 as number,
    load15: h.load15 as number,
    uptimeSeconds: h.uptimeSeconds as number,
    diskFreeBytes: h.diskFreeBytes as number | null,
    diskTotalBytes: h.diskTotalBytes as number | null,
    throttled: h.throttled as number | null,
  };
}

export function parseSlaveLine(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('not a JSON object');
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'hello':
      if (!finite(v.protocol) || !Number.isInteger(v.protocol)) return bad('hello without an integer protocol');
      if (v.slave !== 'pirack-slave') return bad('hello from something that is not pirack-slave');
      return {
        ok: true,
        line: {
          type: 'hello',
          protocol: v.protocol,
          slave: 'pirack-slave',
          node: typeof v.node === 'string' ? v.node : 'unknown',
          units: typeof v.units === 'string' ? v.units : 'unknown',
        },
      };
    case 'watching':
      if (typeof v.revision !== 'string') return bad('watching without a revision');
      if (!Array.isArray(v.problems) || !v.problems.every((p) => typeof p === 'string')) return bad('watching without a list of problems');
      return { ok: true, line: { type: 'watching', revision: v.revision, problems: v.problems as string[] } };
    case 'heartbeat': {
      if (!finite(v.seq) || !Number.isInteger(v.seq)) return bad('heartbeat without an integer seq');
      const health = parseHealth(v.health);
      if (typeof health === 'string') return bad(`heartbeat: ${health}`);
      return { ok: true, line: { type: 'heartbeat', seq: v.seq, health } };
    }
    case 'change':
      if (typeof v.what !== 'string' || !WHATS.includes(v.what as ChangeWhat))
        return bad(`change of unknown kind ${JSON.stringify(v.what)}`);
      if (typeof v.detail !== 'string') return bad('change without a detail');
      return {
        ok: true,
        line: {
          type: 'change',
          what: v.what as ChangeWhat,
          detail: v.detail,
          count: finite(v.count) && v.count >= 1 ? Math.floor(v.count) : 1,
        },
      };
    default:
      return bad(`unknown line type ${JSON.stringify(v.type)}`);
  }
}
