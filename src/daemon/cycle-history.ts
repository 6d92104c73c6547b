/**
 * The power-cycles of the last hour, kept in `<stateDir>/power-cycles.json`, so the policy's
 * "at most M cycles per hour" also holds across daemon restarts (a daemon that crashes and
 * restarts must not get a fresh allowance to cycle a stack again).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CycleRecord } from '../reconcile/controller.ts';
import { writeFileAtomic } from '../state/atomic.ts';

const HOUR_MS = 3_600_000;

export function cycleHistoryPath(stateDir: string): string {
  return join(stateDir, 'power-cycles.json');
}

/** The cycles of the last hour; none when the file is missing or unreadable (the cap then starts afresh). */
export async function loadCycleHistory(stateDir: string, now: number): Promise<CycleRecord[]> {
  try {
    const parsed = JSON.parse(await readFile(cycleHistoryPath(stateDir), 'utf8')) as { cycles?: unknown };
    if (!Array.isArray(parsed.cycles)) return [];
    return parsed.cycles.filter(
      (c): c is CycleRecord =>
        typeof c?.stack === 'number' && typeof c.at === 'number' && typeof c.reason === 'string' && c.at > now - HOUR_MS,
    );
  } catch {
    return [];
  }
}

export async function saveCycleHistory(stateDir: string, cycles: readonly CycleRecord[]): Promise<void> {
  await writeFileAtomic(cycleHistoryPath(stateDir), `${JSON.stringify({ version: 1, cycles }, null, 2)}\n`, { mode: 0o644 });
}
