/**
 * Which rack events an owner hears of by webhook, and in what words. Pure: the daemon feeds every
 * event of its log through `alertFor`; the live stream's health goes through `healthAlerts` (the
 * hook for throttling and under-voltage: whoever records a heartbeat's health calls it).
 */
import type { AlertEvent } from '../model/desired.ts';
import type { RackEvent } from '../model/status.ts';

export interface Alert {
  readonly event: AlertEvent;
  /** `pi 3`, `stack 2`, `rack`. */
  readonly target: string;
  readonly message: string;
  /** ISO time it happened. */
  readonly at: string;
}

/** The alert a rack event raises, if any. */
export function alertFor(e: Pick<RackEvent, 'kind' | 'target' | 'message' | 'result' | 'at'>): Alert | undefined {
  const event = eventOf(e);
  return event ? { event, target: e.target, message: e.message, at: e.at } : undefined;
}

function eventOf(e: Pick<RackEvent, 'kind' | 'result'>): AlertEvent | undefined {
  if (e.kind === 'node-lost') return 'pi-lost';
  if (e.kind === 'node-back') return 'pi-back';
  if (e.kind === 'stack-cycle' && e.result === 'ok') return 'stack-power-cycled';
  if (e.kind === 'revision-rejected') return 'revision-rejected';
  if (e.kind.includes('quarantin')) return 'quarantine';
  if (e.kind === 'enlist-stack' && e.result === 'ok') return 'enlistment-finished';
  return undefined;
}

/**
 * A Pi is lost once until it is back: the watch stream and a failing pass can both notice the same
 * loss (a few seconds apart), and the owner wants one "pi lost", not one per observer.
 */
export function onceUntilBack(): (alert: Alert) => boolean {
  const lost = new Set<string>();
  return (alert) => {
    if (alert.event === 'pi-back') {
      lost.delete(alert.target);
      return true;
    }
    if (alert.event !== 'pi-lost') return true;
    if (lost.has(alert.target)) return false;
    lost.add(alert.target);
    return true;
  };
}

/** `vcgencmd get_throttled` bits: 0 under-voltage now, 2 throttled now (Raspberry Pi documentation). */
const UNDER_VOLTAGE = 1 << 0;
const THROTTLED = 1 << 2;

/** The alerts a Pi's throttled bits raise when they newly appear (`before` is the previous reading). */
export function healthAlerts(target: string, before: number | undefined, now: number | undefined, at: string): Alert[] {
  if (now === undefined) return [];
  const rising = now & ~(before ?? 0);
  const out: Alert[] = [];
  if (rising & UNDER_VOLTAGE) out.push({ event: 'under-voltage', target, message: 'the Pi reports under-voltage', at });
  if (rising & THROTTLED) out.push({ event: 'throttling', target, message: 'the Pi is throttled', at });
  return out;
}
