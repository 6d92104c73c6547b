/**
 * `pirack power on|off|cycle|clear <stack|all>`, `pirack power confirm <stack>`, `pirack power
 * status`. `on` and `off` are an operator override over rack.yaml (kept in the state dir until
 * the next rack.yaml revision or `clear`), `cycle` a one-off; all of them run through the same
 * loop as the daemon (controllers/power.ts), and through the daemon itself when one runs on the
 * state dir, so it never switches the stack back behind the operator's back.
 */
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { pirackError } from '../../errors.ts';
import type { PowerState, RackSpec } from '../../model/desired.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import { createRackIo } from '../../daemon/rack-io.ts';
import { systemClock } from '../../util/clock.ts';
import { writeManualConfirmation } from '../../relay/manual-confirm.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon } from '../daemon-client.ts';
import { progress, table } from '../output.ts';

/** Drivers that switch real power: off and cycle need --yes. */
const REAL_DRIVERS = new Set(['onoff', 'gpiod']);

/** Resolves `<stack|all>` to stack ids, in rack.yaml order. */
export function parseStackTarget(rack: RackSpec, value: string): number[] {
  if (value === 'all') return rack.stacks.map((s) => s.id);
  const id = Number(value);
  if (!Number.isInteger(id) || !rack.stacks.some((s) => s.id === id)) {
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `no stack "${value}" in ${rack.sourcePath} (stacks: ${rack.stacks.map((s) => s.id).join(', ')}, or all)`,
    );
  }
  return [id];
}

/** Refuses a power cut on a real relay without --yes. */
export function requireYes(rack: RackSpec, yes: boolean | undefined, what: string): void {
  if (!yes && REAL_DRIVERS.has(rack.relay.driver)) {
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `${what} cuts the power of running Pis through the ${rack.relay.driver} relay; add --yes to confirm`,
    );
  }
}

/** Who the CLI says set an override. */
export function cliOperator(command: string): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container): the uid is still something.
  }
  return `${user} (pirack ${command})`;
}

/** Runs `run` with the runtime's loop; Ctrl-C stops it (a cycle still switches back on). */
export async function withInterrupt<T>(stop: () => Promise<void>, run: () => Promise<T>): Promise<T> {
  const onSigint = () => void stop();
  process.once('SIGINT', onSigint);
  try {
    return await run();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

type PowerOp = 'on' | 'off' | 'cycle' | 'clear';

async function runPower(op: PowerOp, target: string, opts: RackOptions & { yes?: boolean; hard?: boolean }): Promise<void> {
  const rack = await readRack(opts.rack, opts.allowSource);
  const stacks = parseStackTarget(rack, target);
  if (op === 'off' || op === 'cycle') requireYes(rack, opts.yes, `power ${op} ${target}`);
  const daemon = await findDaemon(opts.stateDir);
  if (daemon) {
    progress(`a daemon runs on ${opts.stateDir} (pid ${daemon.record.pid}): asking it`);
    const path = target === 'all' ? '/api/v1/rack/power' : `/api/v1/stacks/${stacks[0]}/power`;
    const answer = await daemon.request<{ ok: boolean; message: string }>('POST', path, { op, ...(opts.hard ? { hard: true } : {}) });
    process.stdout.write(`${answer.body.message}\n`);
    if (!answer.body.ok) process.exitCode = 1;
    return;
  }
  const log = createLogger().child({ command: 'power' });
  const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log, notifyManual: (r) => progress(`ACTION NEEDED: ${r.message}`) });
  try {
    const outcome = await withInterrupt(
      () => runtime.reconciler.stop(),
      () => runtime.reconciler.power(stacks, op, cliOperator(`power ${op}`), { hard: opts.hard === true }),
    );
    for (const report of outcome.reports) {
      if (report.scope === 'node') continue;
      for (const { action, result } of report.applied)
        progress(
          `${report.key.replace(':', ' ')}: ${action.kind === 'stack-cycle' ? 'cycled' : action.kind === 'stack-power' ? (action.on ? 'on' : 'off') : action.kind}${result.ok ? '' : ` failed: ${result.error.message}`}`,
        );
      if (report.applied.length === 0 && !report.error) progress(`${report.key.replace(':', ' ')}: already as wanted`);
    }
    process.stdout.write(`${outcome.message}\n`);
    if (op === 'on' || op === 'off') {
      const differ = stacks.filter((id) => rack.stacks.find((s) => s.id === id)?.power !== op);
      if (differ.length > 0)
        progress(
          `note: rack.yaml wants stack ${differ.join(', ')} ${op === 'off' ? 'on' : 'off'}; this override holds until the next rack.yaml revision or \`pirack power clear\`.`,
        );
    }
    if (!outcome.ok) process.exitCode = 1;
    await runtime.writeStatus().catch(() => undefined);
  } finally {
    await runtime.close();
  }
}

export function powerCommand(): Command {
  const power = new Command('power').description(
    'switch stacks through the relay declared in rack.yaml (relay.driver), or report their power',
  );
  const describe: Record<PowerOp, string> = {
    on: 'power a stack, or all stacks one after another (relay.stagger apart), on; kept as an override until the next rack.yaml revision',
    off: 'power a stack or all stacks off (needs --yes with the onoff and gpiod drivers); kept as an override until the next rack.yaml revision',
    cycle:
      "power off, wait policies.powerCycle.minOff, power on again: the original's stack reboot (needs --yes with the onoff and gpiod drivers)",
    clear: 'lift an operator override: the stack goes back to the power rack.yaml declares',
  };
  for (const op of ['on', 'off', 'cycle', 'clear'] as const) {
    power.addCommand(
      addRackOptions(new Command(op))
        .description(describe[op])
        .argument('<stack>', 'a stack id from rack.yaml, or "all"')
        .option('--yes', 'confirm cutting power on a real relay (onoff, gpiod)')
        .option('--hard', 'off and cycle: cut at once, without shutting the reachable Pis down first (systemctl poweroff, up to 60 s)')
        .action((target: string, opts: RackOptions & { yes?: boolean; hard?: boolean }) => runPower(op, target, opts)),
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
        if (opts.state !== undefined && opts.state !== 'on' && opts.state !== 'off')
          throw pirackError('PIRACK_ERR_USAGE', `--state must be on or off, got "${opts.state}"`);
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
        // Read-only: the relay alone (no SSH key needed), through the same rack effects as the loop.
        const io = createRackIo({
          stateDir: opts.stateDir,
          log: createLogger().child({ command: 'power' }),
          clock: systemClock,
          notifyManual: (r) => progress(`ACTION NEEDED: ${r.message}`),
        });
        try {
          const relay = io.relay(rack);
          const rows: { stack: number; desired: PowerState; relay: PowerState | 'unknown' }[] = [];
          for (const s of rack.stacks) rows.push({ stack: s.id, desired: s.power, relay: await relay.read(s.id) });
          if (opts.json) process.stdout.write(`${JSON.stringify({ driver: rack.relay.driver, stacks: rows }, null, 2)}\n`);
          else
            process.stdout.write(
              `relay driver: ${rack.relay.driver}\n${table(
                ['stack', 'relay', 'rack.yaml'],
                rows.map((r) => [String(r.stack), r.relay, r.desired]),
              )}\n`,
            );
        } finally {
          await io.close();
        }
      }),
  );
  return power;
}
