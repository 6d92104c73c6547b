/**
 * One virtual rack per e2e file: up in beforeAll, down in afterAll even when a test failed, and a
 * temporary state dir for the daemon side. Files run one at a time (vitest.config.ts), so they
 * never share a lab.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { labDir, labDown, labUp, readState, type LabUpOptions, type LabUpResult } from '../../src/lab/index.ts';
import { acquireLabLock, type LabLock } from '../../src/lab/owner-lock.ts';
import { isAlive } from '../../src/lab/process.ts';

export interface LabFixture {
  readonly up: LabUpResult;
  readonly rackYaml: string;
  readonly stateDir: string;
}

/**
 * A lab left by a crashed test (its creator is dead, and it was not made by hand) may be taken
 * down. Any other lab is in use: one brought up with `pirack lab up` holds no lock (it outlives
 * the command), so a test waits for its `lab down` instead of tearing it down under someone's
 * feet. A state without a creator (older code) counts as in use.
 */
async function labInUse(): Promise<boolean> {
  const state = await readState(labDir()).catch(() => undefined);
  return state !== undefined && !(state.createdBy && !state.byHand && !(await isAlive(state.createdBy)));
}

/** Waits (bounded, like the lock) until no lab is in use. */
async function waitForLabInUse(timeoutMs = 20 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  while (await labInUse()) {
    if (Date.now() > deadline) throw new Error('a lab brought up by hand is still up after 20 min; run `pirack lab down` when it is free');
    if (!said) process.stderr.write('[lab] waiting for the lab brought up by `pirack lab up` to be taken down (`pirack lab down`)\n');
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

export function useLab(options: LabUpOptions): () => LabFixture {
  let fixture: LabFixture | undefined;
  let stateDir: string | undefined;
  let lock: LabLock | undefined;
  beforeAll(async () => {
    // Waiting for a lab in use happens outside the lock: its user may need the lock (a bench run).
    for (;;) {
      await waitForLabInUse();
      lock = await acquireLabLock({ onWait: (pid) => process.stderr.write(`[lab] waiting for the virtual rack held by PID ${pid}\n`) });
      if (!(await labInUse())) break;
      lock.release(); // someone brought a lab up by hand meanwhile
      lock = undefined;
    }
    // A lab left by a crashed run would make labUp refuse; labDown is safe when nothing is up.
    await labDown();
    stateDir = mkdtempSync(join(tmpdir(), 'pirack-e2e-state-'));
    const up = await labUp({ ...options, progress: (line) => process.stderr.write(`[lab] ${line}\n`) });
    fixture = { up, rackYaml: up.rackYaml, stateDir };
  });
  afterAll(async () => {
    // A beforeAll that timed out waiting for the lock never owned the lab: someone else's is up.
    if (!lock) return;
    try {
      await labDown();
    } finally {
      lock?.release();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    }
  });
  return () => {
    if (!fixture) throw new Error('the lab is not up (see beforeAll)');
    return fixture;
  };
}
