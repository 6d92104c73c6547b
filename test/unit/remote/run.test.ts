import { describe, expect, it } from 'vitest';
import { pirackError } from '../../../src/errors.ts';
import { classifyStderr, runRemoteStep } from '../../../src/remote/run.ts';
import type { ExecResult, SshRunner } from '../../../src/ssh/types.ts';
import { nodeSpec } from '../../support/fixtures.ts';

function ctx(answer: () => Promise<ExecResult>) {
  const seen: { command: string; signal?: AbortSignal }[] = [];
  const ssh = {
    exec: async (_t: unknown, command: string, o?: { signal?: AbortSignal }) => (
      seen.push({ command, ...(o?.signal ? { signal: o.signal } : {}) }),
      answer()
    ),
  } as unknown as SshRunner;
  const signal = new AbortController().signal;
  let t = 1000;
  return {
    seen,
    signal,
    ctx: { ssh, signal, node: nodeSpec({ id: 7 }), target: { node: 7, host: '10.0.0.7', port: 22 }, now: () => (t += 5) },
  };
}

describe('runRemoteStep', () => {
  it("exit 0 is a successful step with the command's duration, sent with the pass's signal", async () => {
    const c = ctx(async () => ({ exitCode: 0, stdout: '', stderr: '', durationMs: 42 }));
    const r = await runRemoteStep(c.ctx, 'systemctl start x', { what: 'start x' });
    expect(r).toEqual({ ok: true, exitCode: 0, durationMs: 42 });
    expect(c.seen).toEqual([{ command: 'systemctl start x', signal: c.signal }]);
  });

  it('a non-zero exit becomes the error code its stderr says, with the tail and where', async () => {
    const c = ctx(async () => ({
      exitCode: 100,
      stdout: '',
      stderr: 'Reading package lists...\nE: Could not get lock /var/lib/dpkg/lock-frontend\n',
      durationMs: 3,
    }));
    const r = await runRemoteStep(c.ctx, 'apt-get install bc', { what: 'install bc' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('PIRACK_ERR_DPKG_LOCKED');
    expect(r.error.transient).toBe(true);
    expect(r.error.message).toBe('install bc failed with exit code 100: E: Could not get lock /var/lib/dpkg/lock-frontend');
    expect(r.error.where).toBe('pi 7');
    expect(r.exitCode).toBe(100);
    expect(r.stderrTail).toContain('Could not get lock');
  });

  it('a thrown PiRackError (the connection) is kept; anything else becomes COMMAND_FAILED', async () => {
    const lost = ctx(async () => {
      throw pirackError('PIRACK_ERR_SSH_CHANNEL', 'dropped');
    });
    const r1 = await runRemoteStep(lost.ctx, 'true', { what: 'x' });
    expect(!r1.ok && r1.error.code).toBe('PIRACK_ERR_SSH_CHANNEL');
    const odd = ctx(async () => {
      throw new Error('boom');
    });
    const r2 = await runRemoteStep(odd.ctx, 'true', { what: 'x' });
    expect(!r2.ok && r2.error.code).toBe('PIRACK_ERR_COMMAND_FAILED');
    expect(!r2.ok && r2.error.message).toBe('x: boom');
    expect(r2.durationMs).toBe(5);
  });

  it('classifyStderr: the most specific pattern wins, unknown output is COMMAND_FAILED', () => {
    expect(classifyStderr('write error: No space left on device')).toBe('PIRACK_ERR_DISK_FULL');
    expect(classifyStderr('E: dpkg was interrupted, you must manually run dpkg --configure -a')).toBe('PIRACK_ERR_DPKG_BROKEN');
    expect(classifyStderr('E: Unable to locate package nope')).toBe('PIRACK_ERR_PKG_NOT_FOUND');
    expect(classifyStderr('segfault')).toBe('PIRACK_ERR_COMMAND_FAILED');
  });
});
