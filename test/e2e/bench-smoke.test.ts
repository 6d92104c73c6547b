/**
 * The short version of the benchmark's scenario 1 on a tiny lab (1 stack × 2 Pis): the four
 * contenders (PiRack, the OpenSSH baseline, Ansible, cdist) each complete their runs and produce
 * figures. No timing assertions: a loaded CI
 * machine must not fail this; the point is that the harness works end to end and cleans up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labStatus } from '../../src/lab/index.ts';
import { acquireLabLock, type LabLock } from '../../src/lab/owner-lock.ts';
import { runBench } from '../../bench/run.ts';

const isRoot = process.getuid?.() === 0;
let logDir: string | undefined;
let lock: LabLock | undefined;

afterAll(async () => {
  lock?.release();
  if (logDir) await rm(logDir, { recursive: true, force: true });
});

// The virtual rack needs root (network namespaces, systemd-nspawn); elsewhere there is nothing to run on.
describe.skipIf(!isRoot)('bench smoke: no-op verify on a 2-Pi lab', () => {
  it(
    'runs PiRack, the OpenSSH baseline, Ansible and cdist, each producing positive figures',
    async () => {
      // Like every e2e file, the smoke holds the lab lock, so no other file tears the lab down
      // under it; the other files then wait for the lock and do not use the lab meanwhile.
      lock = await acquireLabLock({
        timeoutMs: 20 * 60_000,
        onWait: (pid) => process.stderr.write(`[bench smoke] waiting for the virtual rack held by PID ${pid}\n`),
      });
      const wasUp = (await labStatus()).up;
      logDir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
      const lines: string[] = [];
      const results = await runBench({
        pis: 2,
        runs: 2,
        convergeRuns: 1,
        driftTrials: 1,
        driftResyncMs: 2000,
        restSeconds: 5,
        scaleNodes: 100,
        only: ['noop'],
        restartLab: false,
        logFile: join(logDir, 'bench.log'),
        signal: new AbortController().signal,
        progress: (line) => lines.push(line),
        maxLabWaitMs: 10 * 60_000,
        othersUsingLab: async () => [],
      });
      const noop = results.scenarios.find((s) => s.id === 'noop');
      expect(noop, lines.join('\n')).toBeDefined();
      expect(noop!.status, `${noop!.reason ?? ''}\n${lines.join('\n')}`).toBe('ok');
      const byLabel = new Map(noop!.rows.map((r) => [r.label, r]));
      for (const label of [
        'PiRack pass',
        'baseline (parallel OpenSSH probe)',
        'Ansible run',
        'cdist run',
        'Ansible / PiRack',
        'cdist / PiRack',
        'PiRack / baseline',
      ]) {
        const summary = byLabel.get(label)?.summary;
        expect(summary, label).toBeDefined();
        expect(summary!.runs, label).toHaveLength(2);
        for (const value of summary!.runs) {
          expect(Number.isFinite(value) && value > 0, `${label}: ${value}`).toBe(true);
        }
      }
      // A converged rack is a no-op for every contender: cdist, too, changed nothing in its timed runs.
      expect(noop!.notes.join('\n')).toMatch(/Changes during the timed runs \(should be 0\): PiRack 0, Ansible 0, cdist 0\./);
      // A target is reported (met or not), never asserted.
      expect(typeof byLabel.get('Ansible / PiRack')!.target?.met).toBe('boolean');
      expect(results.machine.cores).toBeGreaterThan(0);
      // The bench tears down a lab it booted, and leaves one that was already up.
      expect((await labStatus()).up).toBe(wasUp);
      // Up to 20 minutes waiting for the lock on a shared machine, then the run itself.
    },
    35 * 60_000,
  );
});
