/**
 * `pirack power on|off|cycle <stack|all>`, `pirack power confirm <stack>`, `pirack power status`:
 * the relay by hand, straight through the driver rack.yaml declares. A running daemon reconciles
 * power back to rack.yaml, so lasting changes belong in rack.yaml (`power: off`).
 */
import { Command } from 'commander';
import type { Logger } from 'pino';
import { pirackError } from '../../errors.ts';
import type { PowerState, RackSpec } from '../../model/desired.ts';
import { createRelay } from '../../relay/index.ts';
import type { RelayDriver } from '../../relay/types.ts';
import { createStagger } from '../../relay/stagger.ts';
import { fileConfirmations, writeManualConfirmation } from '../../relay/manual-confirm.ts';
import { createLabRelay } from '../../lab/relay.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { progress, table } from '../output.ts';
import { sleep } from '../../util/sleep.ts';

/** Drivers that switch real power: off and cycle need --yes. */
const REAL_DRIVERS = new Set(['onoff', 'gpiod']);

/** The rack's relay driver as the CLI uses it (the manual driver prompts on stderr). */
export function openCliRelay(rack: RackSpec, stateDir: string, log: Logger): RelayDriver {
  return createRelay(rack.relay, rack.stacks, {
    lab: () => createLabRelay(),
    manual: { notify: (r) => progress(`ACTION NEEDED: ${r.message}`), checkExternal: fileConfirmations(stateDir) },
    log,
  });
}

/** Resolves `<stack|all>` to stack ids, in rack.yaml order. */
export function parseStackTarget(rack: RackSpec, value: string): number[] {
  if (value === 'all') return rack.stacks.map((s) => s.id);
  const id = Number(value);
  if (!Number.isInteger(id) || !rack.stacks.some((s) => s.id === id)) {
    throw pirackError('PIRACK_ERR_USAGE', `no stack "${value}" in ${rack.sourcePath} (stacks: ${rack.stacks.map((s) => s.id).join(', ')}, or all)`);
  }
  return [id];
}

/** Refuses a power cut on a real relay without --yes. */
export function requireYes(rack: RackSpec, yes: boolean | undefined, what: string): void {
  if (!yes && REAL_DRIVERS.has(rack.relay.driver)) {
    throw pirackError('PIRACK_ERR_USAGE', `${what} cuts the power of running Pis through the ${rack.relay.driver} relay; add --yes to confirm`);
  }
}

/** Cancels on Ctrl-C while `run` is going; the CLI is where signals are handled. */
export async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(pirackError('PIRACK_ERR_ABORTED', 'interrupted'));
  process.once('SIGINT', onSigint);
  try {
    return await run(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export { sleep };

type PowerOp = 'on' | 'off' | 'cycle';

async function runPower(op: PowerOp, target: string, opts: RackOptions & { yes?: boolean }): Promise<void> {
  const rack = await readRack(opts.rack, opts.allowSource);
  const stacks = parseStackTarget(rack, target);
  if (op !== 'on') requireYes(rack, opts.yes, `power ${op} ${target}`);
  const log = createLogger().child({ command: 'power' });
  const relay = openCliRelay(rack, opts.stateDir, log);
  const stagger = createStagger(rack.relay.staggerMs, Date.now, sleep);
  const switchTo = async (stack: number, state: PowerState, signal: AbortSignal) => {
    if (state === 'on') await stagger.beforeOn(signal);
    await relay.set(stack, state, signal);
    progress(`stack ${stack}: ${state}`);
  };
  try {
    await withInterrupt(async (signal) => {
      if (op === 'cycle') {
        for (const stack of stacks) await switchTo(stack, 'off', signal);
        progress(`waiting ${rack.policies.powerCycle.minOffMs} ms (policies.powerCycle.minOff)`);
        // An interrupt during the off time still switches back on: a cycle never ends with stacks off.
        const offAt = Date.now();
        const minOff = rack.policies.powerCycle.minOffMs;
        await sleep(minOff, signal).catch(() => sleep(Math.max(0, offAt + minOff - Date.now())));
        for (const stack of stacks) await switchTo(stack, 'on', new AbortController().signal);
      } else {
        for (const stack of stacks) await switchTo(stack, op, signal);
      }
    });
  } finally {
    await relay.close();
  }
  const drifting = stacks.filter((id) => rack.stacks.find((s) => s.id === id)?.power !== (op === 'off' ? 'off' : 'on'));
  if (drifting.length > 0) {
    progress(`note: rack.yaml wants stack ${drifting.join(', ')} ${op === 'off' ? 'on' : 'off'}; a running daemon switches it back. Change \`power:\` in rack.yaml to keep it.`);
  }
}

export function powerCommand(): Command {
  const power = new Command('power').description('switch stacks through the relay declared in rack.yaml (relay.driver), or report their power');
  const describe: Record<PowerOp, string> = {
    on: 'power a stack, or all stacks one after another (relay.stagger apart), on',
    off: 'power a stack or all stacks off (needs --yes with the onoff and gpiod drivers)',
    cycle: 'power off, wait policies.powerCycle.minOff, power on again: the original\'s stack reboot (needs --yes with the onoff and gpiod drivers)',
  };
  for (const op of ['on', 'off', 'cycle'] as const) {
    power.addCommand(
      addRackOptions(new Command(op))
        .description(describe[op])
        .argument('<stack>', 'a stack id from rack.yaml, or "all"')
        .option('--yes', 'confirm cutting power on a real relay (onoff, gpiod)')
        .action((target: string, opts: RackOptions & { yes?: boolean }) => runPower(op, target, opts)),
    );
  }
  power.addCommand(
    addRackOptions(new Command('confirm'))
      .description('tell a waiting `manual` relay step that you switched the stack by hand')
      .argument('<stack>', 'the stack you switched')
      .option('--state <state>', 'the state you switched it to: on or off (default: whatever was asked)')
      .action(async (stackText: string, opts: RackOptions & { state?: string }) => {
        const stack = Number(stackText);
        if (!Number.isInteger(stack) || stack < 1) throw pirackError('PIRACK_ERR_USAGE', `<stack> must be a stack id, got "${stackText}"`);
        if (opts.state !== undefined && opts.state !== 'on' && opts.state !== 'off') throw pirackError('PIRACK_ERR_USAGE', `--state must be on or off, got "${opts.state}"`);
        await writeManualConfirmation(opts.stateDir, stack, opts.state as PowerState | undefined);
        process.stdout.write(`stack ${stack}: confirmation recorded in ${opts.stateDir}\n`);
      }),
  );
  power.addCommand(
    addRackOptions(new Command('status'))
      .description("read every stack's relay without changing it, next to what rack.yaml wants")
      .option('--json', 'print as JSON')
      .action(async (opts: RackOptions & { json?: boolean }) => {
        const rack = await readRack(opts.rack, opts.allowSource);
        const relay = openCliRelay(rack, opts.stateDir, createLogger().child({ command: 'power' }));
        try {
          const rows: { stack: number; desired: PowerState; relay: PowerState | 'unknown' }[] = [];
          for (const s of rack.stacks) rows.push({ stack: s.id, desired: s.power, relay: await relay.read(s.id) });
          if (opts.json) process.stdout.write(`${JSON.stringify({ driver: rack.relay.driver, stacks: rows }, null, 2)}\n`);
          else process.stdout.write(`relay driver: ${rack.relay.driver}\n${table(['stack', 'relay', 'rack.yaml'], rows.map((r) => [String(r.stack), r.relay, r.desired]))}\n`);
        } finally {
          await relay.close();
        }
      }),
  );
  return power;
}
