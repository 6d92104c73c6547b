/**
 * What the loop must remember across daemon restarts besides the bindings: the operator layer
 * (`operator.json`: power overrides and requests) and the enlistment attempts
 * (`enlistments.json`), so a restarted daemon neither forgets an operator's `power off` nor
 * re-enlists a stack that came up short at the same revision. The power-cycle history has its
 * own file (src/daemon/cycle-history.ts). Unreadable files count as empty: nothing is lost that
 * the next pass cannot see again, and the loop never stops over them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnlistAttempt } from '../reconcile/controller.ts';
import { emptyOperatorState, type OperatorState } from '../reconcile/operator-layer.ts';
import { writeFileAtomic } from './atomic.ts';

export const OPERATOR_FILE = 'operator.json';
export const ENLISTMENTS_FILE = 'enlistments.json';

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function loadOperatorState(stateDir: string): Promise<OperatorState> {
  const raw = (await readJson(join(stateDir, OPERATOR_FILE))) as Partial<OperatorState> | undefined;
  if (!raw || !Array.isArray(raw.overrides)) return emptyOperatorState;
  const overrides = raw.overrides.filter(
    (o) =>
      typeof o?.stack === 'number' &&
      (o.power === 'on' || o.power === 'off') &&
      typeof o.by === 'string' &&
      typeof o.at === 'number' &&
      typeof o.revision === 'string',
  );
  // Requests are one-offs for the running daemon: a restart does not cycle a stack again.
  return { overrides, cycleRequests: [] };
}

export async function saveOperatorState(stateDir: string, state: OperatorState): Promise<void> {
  await writeFileAtomic(join(stateDir, OPERATOR_FILE), `${JSON.stringify({ version: 1, overrides: state.overrides }, null, 2)}\n`, {
    mode: 0o644,
  });
}

export async function loadEnlistAttempts(stateDir: string): Promise<Record<number, EnlistAttempt>> {
  const raw = (await readJson(join(stateDir, ENLISTMENTS_FILE))) as { attempts?: Record<string, EnlistAttempt> } | undefined;
  const attempts: Record<number, EnlistAttempt> = {};
  for (const [key, a] of Object.entries(raw?.attempts ?? {})) {
    if (typeof a?.revision === 'string' && typeof a.at === 'number' && typeof a.found === 'number' && typeof a.expected === 'number')
      attempts[Number(key)] = a;
  }
  return attempts;
}

export async function saveEnlistAttempts(stateDir: string, attempts: Readonly<Record<number, EnlistAttempt>>): Promise<void> {
  await writeFileAtomic(join(stateDir, ENLISTMENTS_FILE), `${JSON.stringify({ version: 1, attempts }, null, 2)}\n`, { mode: 0o644 });
}
