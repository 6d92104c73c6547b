import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { NSPAWN_REBOOT_EXIT, RESTART_BURST, supervisedArgv } from '../../../src/lab/supervisor.ts';

const run = promisify(execFile);
/** No sensors to mount outside a lab. */
const NO_SENSORS = ':';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A stand-in for systemd-nspawn: counts its starts, exits 133 ("reboot") `reboots` times, then `last`. */
function fakeNspawn(reboots: number, last: number): { file: string; count: () => number } {
  dir = mkdtempSync(join(tmpdir(), 'pirack-supervisor-'));
  const counter = join(dir, 'starts');
  writeFileSync(counter, '');
  const file = join(dir, 'nspawn');
  writeFileSync(
    file,
    `#!/bin/sh\necho x >> ${counter}\nn=$(wc -l < ${counter})\n[ "$n" -le ${reboots} ] && exit ${NSPAWN_REBOOT_EXIT}\nexit ${last}\n`,
    { mode: 0o755 },
  );
  return { file, count: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

async function supervise(file: string): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run('/bin/sh', supervisedArgv([], file, [], NO_SENSORS), { timeout: 20_000 });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('the lab reboot loop', () => {
  it('starts the Pi again after each reboot (exit 133) and ends with the first other exit', async () => {
    const fake = fakeNspawn(2, 0);
    const r = await supervise(fake.file);
    expect(fake.count()).toBe(3);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the Pi rebooted (exit 133)');
  });

  it('does not restart a Pi whose container was killed (a power cut is not a reboot)', async () => {
    const fake = fakeNspawn(0, 1);
    const r = await supervise(fake.file);
    expect(fake.count()).toBe(1);
    expect(r.code).toBe(1);
  });

  it('gives up after RESTART_BURST restarts within the window, as systemd start limits do', async () => {
    const fake = fakeNspawn(100, 0);
    const r = await supervise(fake.file);
    expect(fake.count()).toBe(RESTART_BURST + 1);
    expect(r.code).toBe(NSPAWN_REBOOT_EXIT);
    expect(r.stderr).toContain(`rebooted more than ${RESTART_BURST} times`);
  });
});
