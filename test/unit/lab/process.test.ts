import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive, record, signalRecorded, stopRecorded } from '../../../src/lab/process.ts';

describe('recorded processes', () => {
  it('signals a recorded process and sees it gone', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const p = await record(child.pid!);
    expect(await isAlive(p)).toBe(true);
    await stopRecorded(p, 1000);
    expect(await isAlive(p)).toBe(false);
  });

  it('never signals a PID whose start time differs (a recycled PID)', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const real = await record(child.pid!);
    expect(await signalRecorded({ pid: real.pid, startTime: `${real.startTime}1` }, 'SIGKILL')).toBe(false);
    expect(await isAlive(real)).toBe(true);
    child.kill('SIGKILL');
  });
});
