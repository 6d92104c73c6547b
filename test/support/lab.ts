/**
 * One virtual rack per e2e file: up in beforeAll, down in afterAll even when a test failed, and a
 * temporary state dir for the daemon side. Files run one at a time (vitest.config.ts), so they
 * never share a lab.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { labDown, labUp, type LabUpOptions, type LabUpResult } from '../../src/lab/index.ts';
import { acquireLabLock, type LabLock } from '../../src/lab/owner-lock.ts';

export interface LabFixture {
  readonly up: LabUpResult;
  readonly rackYaml: string;
  readonly stateDir: string;
}

export function useLab(options: LabUpOptions): () => LabFixture {
  let fixture: LabFixture | undefined;
  let stateDir: string | undefined;
  let lock: LabLock | undefined;
  beforeAll(async () => {
    lock = await acquireLabLock({ onWait: (pid) => process.stderr.write(`[lab] waiting for the virtual rack held by PID ${pid}\n`) });
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
