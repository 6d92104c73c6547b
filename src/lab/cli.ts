/**
 * `pirack lab …`: the virtual rack from the command line. The lead registers `labCommand()` in
 * src/cli/main.ts; errors are thrown as PiRackError for main to print with their hint.
 */
import { Command, InvalidArgumentError } from 'commander';
import { labDown } from './down.ts';
import { FAULT_DESCRIPTIONS, labFault } from './faults.ts';
import { labExec } from './pi-exec.ts';
import { FAULT_KINDS, type FaultKind } from './state.ts';
import { formatLabStatus, labStatus } from './status.ts';
import { labSwap } from './swap.ts';
import { labUp } from './up.ts';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function idList(value: string): number[] {
  return value.split(',').map((s) => positiveInt(s.trim()));
}

function faultKind(value: string): FaultKind {
  if (!(FAULT_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${FAULT_KINDS.join(', ')}`);
  return value as FaultKind;
}

export function labCommand(): Command {
  const lab = new Command('lab').description(
    'the virtual rack: Debian Pis booted by systemd-nspawn on a bridge with dnsmasq and a local apt repository (needs root)',
  );

  lab
    .command('up')
    .description('build the image if needed (cached), create the network, boot every Pi and wait until each answers on port 22')
    .option('--stacks <n>', 'number of stacks', positiveInt, 2)
    .option('--per-stack <m>', 'Pis per stack (Pi ids 1..n*m, stack s holds (s-1)*m+1..s*m)', positiveInt, 2)
    .option('--blank-inventory', 'no fixed DHCP addresses and no MACs in rack.yaml: the Pis must be enlisted')
    .option('--off <stacks>', 'comma-separated stacks to leave powered off', idList)
    .option('--root-login', "let root log in by password, like the original's racks (default: stock Raspberry Pi OS, sudo user pi)")
    .addHelpText(
      'after',
      '\nWrites <labdir>/rack.yaml (relay driver "lab") for the daemon. The lab dir is /var/lib/pirack-lab (PIRACK_LAB_DIR).',
    )
    .action(async (opts: { stacks: number; perStack: number; blankInventory?: boolean; off?: number[]; rootLogin?: boolean }) => {
      const poweredStacks = Array.from({ length: opts.stacks }, (_, k) => k + 1).filter((s) => !(opts.off ?? []).includes(s));
      const result = await labUp({
        stacks: opts.stacks,
        perStack: opts.perStack,
        blankInventory: opts.blankInventory === true,
        rootLogin: opts.rootLogin === true,
        poweredStacks,
        byHand: true,
        progress: say,
      });
      process.stdout.write(`${result.rackYaml}\n`);
    });

  lab
    .command('down')
    .description('stop every lab process and remove its namespaces, links and mounts (keeps the image cache; safe to run twice)')
    .action(async () => {
      await labDown({ progress: say });
    });

  lab
    .command('status')
    .description('each Pi: power, MAC, leased IP, memory, faults in force')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await labStatus();
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatLabStatus(status));
    });

  lab
    .command('fault')
    .description('inject a fault into one Pi (or lift it with --undo)')
    .argument('<pi>', 'Pi id', positiveInt)
    .argument('<kind>', FAULT_KINDS.join(' | '), faultKind)
    .option('--undo', 'lift the fault')
    .option('--seconds <s>', 'dpkg-lock: how long the lock is held (at most 3600)', positiveInt, 120)
    .option('--delay-ms <ms>', 'net-delay: delay added to the Pi’s outgoing packets', positiveInt, 300)
    .option('--loss-percent <p>', 'net-loss: share of packets to the Pi dropped', positiveInt, 30)
    .addHelpText('after', `\nKinds:\n${FAULT_KINDS.map((k) => `  ${k.padEnd(20)} ${FAULT_DESCRIPTIONS[k]}`).join('\n')}`)
    .action(async (pi: number, kind: FaultKind, opts: { undo?: boolean; seconds: number; delayMs: number; lossPercent: number }) => {
      await labFault(pi, kind, { undo: opts.undo === true, seconds: opts.seconds, delayMs: opts.delayMs, lossPercent: opts.lossPercent });
      say(`pi ${pi}: ${kind} ${opts.undo ? 'lifted' : 'applied'}`);
    });

  lab
    .command('swap')
    .description(
      'a new Pi in the same slot: new MAC, a blank SD card (the image copied anew, so new SSH host keys) and a boot on the same stack',
    )
    .argument('<pi>', 'Pi id', positiveInt)
    .option('--mac <mac>', "the new Pi's MAC (default: the next one for that slot, b8:27:eb:NN:…)")
    .addHelpText(
      'after',
      '\nThe new Pi asks DHCP like a freshly flashed one; nothing knows its MAC yet. Then run `pirack replace <pi>`.\nExample: pirack lab swap 3 && pirack replace 3 --rack /var/lib/pirack-lab/rack.yaml',
    )
    .action(async (pi: number, opts: { mac?: string }) => {
      const r = await labSwap(pi, opts.mac !== undefined ? { mac: opts.mac } : {});
      say(
        `pi ${pi}: swapped, MAC ${r.oldMac} → ${r.newMac}, new SD card${r.booted ? ', booting' : ' (its stack is off: it boots with it)'}`,
      );
    });

  lab
    .command('exec')
    .description('run a shell command inside a running Pi (through nsenter, not SSH)')
    .argument('<pi>', 'Pi id', positiveInt)
    .argument('<command...>', 'command line, run by /bin/sh -c')
    .action(async (pi: number, words: string[]) => {
      const r = await labExec(pi, words.join(' '));
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });

  return lab;
}
