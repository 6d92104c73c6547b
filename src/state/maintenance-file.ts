/**
 * `<stateDir>/maintenance.json`: the operator's holds (src/reconcile/maintenance.ts), so suspend
 * survives a daemon restart. An unreadable file counts as no holds but is reported, since a
 * forgotten hold means the daemon acts where an operator said not to.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyMaintenance, type Hold, type MaintenanceState } from '../reconcile/maintenance.ts';
import { writeFileAtomic } from './atomic.ts';

export const MAINTENANCE_FILE = 'maintenance.json';

function validHold(h: unknown): h is Hold {
  const x = h as Partial<Hold & { id: number }> | undefined;
  if (typeof x?.by !== 'string' || typeof x.at !== 'number' || typeof x.reason !== 'string') return false;
  return x.scope === 'rack' || ((x.scope === 'stack' || x.scope === 'pi') && Number.isSafeInteger(x.id));
}

/** The holds, and a problem when the file exists but could not be read whole. */
export async function loadMaintenance(stateDir: string): Promise<{ state: MaintenanceState; problem?: string }> {
  const path = join(stateDir, MAINTENANCE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyMaintenance };
    return { state: emptyMaintenance, problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  try {
    const raw = JSON.parse(text) as { holds?: unknown[] };
    const holds = Array.isArray(raw.holds) ? raw.holds.filter(validHold) : [];
    const dropped = (Array.isArray(raw.holds) ? raw.holds.length : 0) - holds.length;
    return { state: { holds }, ...(dropped > 0 ? { problem: `${path}: ${dropped} unreadable hold(s) ignored` } : {}) };
  } catch (err) {
    return { state: emptyMaintenance, problem: `${path} is not JSON (${(err as Error).message}); no hold is in force` };
  }
}

export async function saveMaintenance(stateDir: string, state: MaintenanceState): Promise<void> {
  await writeFileAtomic(join(stateDir, MAINTENANCE_FILE), `${JSON.stringify({ version: 1, holds: state.holds }, null, 2)}\n`, {
    mode: 0o644,
  });
}
