import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { powerController } from '../../../controllers/power.ts';
import type { RackContext, RackEventInput } from '../../../src/reconcile/controller.ts';
import { POWEROFF_COMMAND, shutdownPis } from '../../../src/remote/shutdown.ts';
import type { ExecResult, SshTarget } from '../../../src/ssh/types.ts';
import { createStagger } from '../../../src/relay/stagger.ts';
import type { Clock } from '../../../src/util/clock.ts';
import { makeRack, virtualClock } from '../dhcp/rack-fixture.ts';
import { FakeRelay } from '../relay/fake-relay.ts';

const NOW = 1_700_000_000_000;

/** Pi 1 takes the command and halts after 3 s, pi 2 does not answer, pi 3 takes it but never halts. */
function setup(level: 'on' | 'off' = 'on') {
  const clock = virtualClock(NOW);
  const relay = new FakeRelay({ 1: level }, () => clock.now());
  const commands: { node: number; command: string; at: number }[] = [];
  const events: RackEventInput[] = [];
  const rack = makeRack([{ id: 1, pis: [1, 2, 3] }]);
  const haltAt = new Map<number, number>();
  const ssh = {
    async exec(target: SshTarget, command: string): Promise<ExecResult> {
      commands.push({ node: target.node, command, at: clock.now() });
      if (target.node === 2) throw new Error('connect ETIMEDOUT');
      if (target.node === 1) haltAt.set(1, clock.now() + 3_000);
      return { exitCode: 0, stdout: 'powering-off\n', stderr: '', durationMs: 1 };
    },
    usedBootstrap: () => false,
    forget: () => undefined,
    connectionCount: () => 0,
    close: async () => undefined,
  };
  (relay as { halted?: (n: number) => Promise<boolean> }).halted = async (n) => haltAt.has(n) && clock.now() >= haltAt.get(n)!;
  const ctx: RackContext = {
    rack,
    relay,
    dhcp: {} as RackContext['dhcp'],
    ssh,
    clock: { now: clock.now, sleep: clock.sleep, setTimeout: () => 0, clearTimeout: () => undefined } as Clock,
    log: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })),
    signal: new AbortController().signal,
    now: clock.now,
    sleep: clock.sleep,
    emit: (e) => events.push(e),
    stagger: createStagger(0, clock.now, clock.sleep),
    isReachable: async () => true,
  };
  return { ctx, clock, commands, events, relay };
}

describe('graceful shutdown before a cut', () => {
  it('asks every Pi, waits for those that took it, not for the unreachable one, and gives up at the timeout', async () => {
    const { ctx, commands } = setup();
    const outcome = await shutdownPis(ctx.rack.stacks[0]!.nodes, ctx, { timeoutMs: 10_000, pollMs: 1_000 });
    expect(commands.map((c) => c.command)).toEqual([POWEROFF_COMMAND, POWEROFF_COMMAND, POWEROFF_COMMAND]);
    expect(POWEROFF_COMMAND).toMatch(/^nohup sh -c 'sleep 1; systemctl poweroff' .*&/);
    expect(outcome).toEqual({ down: [1], skipped: [2], timedOut: [3] });
  });

  it('a power-off cuts the relay only after the shutdown, and says what happened', async () => {
    const { ctx, clock, events, relay } = setup();
    const r = await powerController.apply({ kind: 'stack-power', stack: 1, on: false, reason: 'alice wants off' }, ctx);
    expect(r.ok).toBe(true);
    // pi 3 never halts: the cut waits the whole default timeout (60 s), then happens anyway.
    expect(relay.log).toEqual([`1:off@${NOW + 60_000}`]);
    expect(clock.now()).toBe(NOW + 60_000);
    expect(events[0]).toMatchObject({
      kind: 'stack-shutdown',
      result: 'failed',
      message: 'shut down pi 1; not reachable, cut hard: pi 2; still up after 60 s, cut anyway: pi 3',
    });
  });

  it('--hard cuts at once, asking no Pi', async () => {
    const { ctx, commands, relay } = setup();
    const r = await powerController.apply({ kind: 'stack-cycle', stack: 1, reason: 'asked for by bob', hard: true }, ctx);
    expect(r.ok).toBe(true);
    expect(commands).toEqual([]);
    expect(relay.log[0]).toBe(`1:off@${NOW}`);
  });

  it('a stack already off is not asked to shut down', async () => {
    const { ctx, commands } = setup('off');
    await powerController.apply({ kind: 'stack-power', stack: 1, on: false, reason: 'x' }, ctx);
    expect(commands).toEqual([]);
  });
});
