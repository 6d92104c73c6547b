/**
 * `pirack enlist`: enlist every stack whose Pis have no MAC yet, in the foreground, then put the
 * stacks back to rack.yaml's power; `pirack enlist release <pi>`: forget a replaced Pi's MAC.
 * Run it when no daemon is running (the daemon enlists by itself and would fight over the relay).
 */
import { Command } from 'commander';
import type { Logger } from 'pino';
import { pirackError } from '../../errors.ts';
import type { RackSpec } from '../../model/desired.ts';
import { describeAction } from '../../model/actions.ts';
import type { EnlistmentProgress } from '../../model/status.ts';
import type { RackContext, RackObserved } from '../../reconcile/rack-controller.ts';
import { createDhcpContext } from '../../dhcp/context.ts';
import { effectiveMacs, readBindings, releaseBinding } from '../../dhcp/bindings.ts';
import { readHostsFile } from '../../dhcp/hosts.ts';
import { tcpReachable } from '../../dhcp/reachable.ts';
import { createStagger } from '../../relay/stagger.ts';
import type { RelayDriver } from '../../relay/types.ts';
import { enlistController, initialEnlistMemory, recordAttempt, stacksToEnlist, type EnlistMemory } from '../../../controllers/enlist.ts';
import { initialPowerMemory, powerController } from '../../../controllers/power.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { formatMs, progress } from '../output.ts';
import { openCliRelay, requireYes, sleep, withInterrupt } from './power.ts';

function showProgress(p: EnlistmentProgress): void {
  const timing = p.remainingMs > 0 ? ` [${formatMs(p.elapsedMs)} elapsed, ${formatMs(p.remainingMs)} left]` : '';
  progress(`${p.message}${timing}`);
}

async function observe(rack: RackSpec, relay: RelayDriver, ctx: RackContext, enlisting: ReadonlySet<number>): Promise<RackObserved> {
  const levels = new Map<number, Awaited<ReturnType<RelayDriver['read']>>>();
  for (const s of rack.stacks) levels.set(s.id, await relay.read(s.id));
  const hostsFile = await readHostsFile(rack.network.dhcp.hostsFile);
  return {
    relay: levels,
    nodes: new Map(),
    leases: await ctx.dhcp.readLeases(),
    bindings: await ctx.dhcp.readBindings(),
    ...(hostsFile ? { hostsFile } : {}),
    enlisting,
  };
}

async function runEnlist(opts: RackOptions & { yes?: boolean }, log: Logger): Promise<number> {
  const rack = await readRack(opts.rack, opts.allowSource);
  requireYes(rack, opts.yes, 'enlistment (it switches off every stack waiting to be enlisted)');
  const relay = openCliRelay(rack, opts.stateDir, log);
  const dhcp = createDhcpContext(rack, { stateDir: opts.stateDir, log });
  let memory: EnlistMemory = initialEnlistMemory;
  const round = stacksToEnlist(rack, await dhcp.readBindings(), memory);
  const controller = enlistController.withResults((r) => (memory = recordAttempt(memory, r, rack.revision, Date.now())));
  let warnings = 0;
  try {
    return await withInterrupt(async (signal) => {
      const ctx: RackContext = {
        rack,
        relay,
        dhcp,
        log,
        signal,
        now: Date.now,
        sleep,
        emit: (e) => {
          if (e.result !== 'ok') warnings += 1;
          progress(`${e.target}: ${e.message}`);
        },
        stagger: createStagger(rack.relay.staggerMs, Date.now, sleep),
        isReachable: tcpReachable(rack.ssh.port, Math.min(rack.ssh.connectTimeoutMs, 3000)),
        enlistRound: round,
        onEnlistProgress: showProgress,
      };
      if (round.length === 0) progress('every Pi has a MAC (rack.yaml or bindings): only the DHCP entries are checked');
      // Bounded: each pass enlists one stack or records a short attempt, so at most one pass per stack, plus the hosts write.
      for (let pass = 0; pass <= rack.stacks.length; pass++) {
        const bindings = await dhcp.readBindings();
        const owned = new Set(stacksToEnlist(rack, bindings, memory));
        const actions = controller.plan(rack, await observe(rack, relay, ctx, owned), memory, Date.now());
        if (actions.length === 0) break;
        for (const action of actions) {
          progress(describeAction(action));
          const result = await controller.apply(action, ctx);
          if (!result.ok) throw result.error ?? pirackError('PIRACK_ERR_DHCP', `${describeAction(action)} failed`);
        }
      }
      // Back to rack.yaml's power for every stack, staggered.
      const observed = await observe(rack, relay, ctx, new Set());
      for (const action of powerController.plan(rack, observed, initialPowerMemory, Date.now())) {
        progress(describeAction(action));
        const result = await powerController.apply(action, ctx);
        if (!result.ok) throw result.error ?? pirackError('PIRACK_ERR_RELAY', `${describeAction(action)} failed`);
      }
      const withMac = effectiveMacs(rack, await dhcp.readBindings()).size;
      process.stdout.write(`enlistment done: ${withMac} of ${rack.nodes.length} Pis have a MAC and a fixed address; ${warnings === 0 ? 'no warnings' : `${warnings} warning(s) above`}\n`);
      return warnings === 0 ? 0 : 1;
    });
  } finally {
    await relay.close();
  }
}

export function enlistCommand(): Command {
  const enlist = addRackOptions(new Command('enlist'))
    .description(
      'enlist the Pis rack.yaml declares without a MAC: power their stacks on one at a time, bind the MACs seen by dnsmasq ' +
        '(in discovery order, to ascending Pi ids), write the static DHCP entries, power-cycle, and check each Pi answers at its fixed IP. ' +
        'With every MAC known it only writes the DHCP entries. Exit 1 when a stack yielded fewer Pis than declared.',
    )
    .option('--yes', 'confirm switching stacks off with a real relay (onoff, gpiod)')
    .action(async (opts: RackOptions & { yes?: boolean }) => {
      process.exitCode = await runEnlist(opts, createLogger().child({ command: 'enlist' }));
    });
  enlist.addCommand(
    addRackOptions(new Command('release'))
      .description("forget a Pi's bound MAC (a replaced Pi) so it is enlisted again; a MAC pinned in rack.yaml must be changed there instead")
      .argument('<pi>', 'the Pi id')
      .action(async (piText: string, _local: RackOptions, command: Command) => {
        // Commander hands --rack/--state-dir given after `release` to `enlist`, which defines them too;
        // merged, the values given anywhere win over the defaults.
        const opts = command.optsWithGlobals<RackOptions>();
        const id = Number(piText);
        if (!Number.isInteger(id) || id < 1) throw pirackError('PIRACK_ERR_USAGE', `<pi> must be a Pi id, got "${piText}"`);
        const rack = await readRack(opts.rack, opts.allowSource);
        const node = rack.nodes.find((n) => n.id === id);
        if (!node) throw pirackError('PIRACK_ERR_USAGE', `no pi ${id} in ${rack.sourcePath}`);
        if (node.mac !== undefined) throw pirackError('PIRACK_ERR_USAGE', `pi ${id}'s MAC ${node.mac} is pinned in rack.yaml; change or remove it there`);
        const released = await releaseBinding(opts.stateDir, id);
        if (released === undefined) {
          process.stdout.write(`pi ${id} had no bound MAC; it will be enlisted with its stack\n`);
          return;
        }
        const left = Object.keys(await readBindings(opts.stateDir)).length;
        process.stdout.write(`pi ${id}: released ${released} (${left} bindings left); run \`pirack enlist\` or let the daemon enlist it\n`);
      }),
  );
  return enlist;
}
