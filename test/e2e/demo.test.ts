/**
 * The README's main command, twice, as a new user runs it: `pirack demo`, Ctrl-C, a `lab up` /
 * `lab down` as the tests and the bench do, then `pirack demo` again. Every fresh lab's Pis make
 * new host keys at first boot, so the demo must not carry host-key pins from one lab to the
 * next: every Pi is Ready both times, none Quarantined.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { labDown, labStatus, labUp } from '../../src/lab/index.ts';
import { acquireLabLock } from '../../src/lab/owner-lock.ts';
import type { StatusReport } from '../../src/model/status.ts';
import { freePort, waitUntil } from '../support/wait.ts';

const BIN = fileURLToPath(new URL('../../src/cli/pirack.mjs', import.meta.url));
const SHAPE = { stacks: 1, perStack: 2 };
let running: ChildProcess | undefined;

afterAll(async () => {
  if (running && running.exitCode === null) running.kill('SIGINT');
  await new Promise((done) => setTimeout(done, 100));
});

async function demoUntilReady(): Promise<{ report: StatusReport; output: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, 'demo', '--stacks', String(SHAPE.stacks), '--per-stack', String(SHAPE.perStack), '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running = child;
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    // Ready, or quarantined (which no wait can mend): either ends the wait at once.
    const report = await waitUntil(
      'every demo Pi Ready (or one quarantined)',
      240_000,
      async () => {
        if (child.exitCode !== null) throw new Error(`the demo exited with ${child.exitCode}:\n${output}`);
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/status`).catch(() => undefined);
        if (!res?.ok) return undefined;
        const status = (await res.json()) as StatusReport;
        const settled = status.rack.counts.ready === SHAPE.stacks * SHAPE.perStack || status.rack.counts.quarantined > 0;
        return settled ? status : undefined;
      },
      { every: 500, context: () => output.split('\n').slice(-30).join('\n') },
    );
    const quarantined = report.nodes.filter((n) => n.conditions.some((c) => c.reason === 'HostKeyChanged')).map((n) => n.id);
    expect(quarantined, 'Pis quarantined for a host key change').toEqual([]);
    expect(report.rack.counts.ready).toBe(SHAPE.stacks * SHAPE.perStack);
    return { report, output };
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    running = undefined;
    expect(code, `the demo's exit code after Ctrl-C\n${output}`).toBe(0);
  }
}

describe('npm run demo, after anything', () => {
  it('brings every Pi to Ready on a second run after another lab came and went', async () => {
    await demoUntilReady();
    expect((await labStatus()).up, 'Ctrl-C tears the demo lab down').toBe(false);

    // Another user of the lab in between, holding the lab lock as the tests and the bench do.
    const lock = await acquireLabLock();
    try {
      await labUp({ ...SHAPE, progress: () => undefined });
      await labDown();
    } finally {
      lock.release();
    }

    const second = await demoUntilReady();
    expect(second.report.nodes.map((n) => n.id).sort()).toEqual([1, 2]);
  }, 900_000);
});
