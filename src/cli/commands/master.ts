/**
 * `pirack master install|uninstall|backup|restore`: make this machine the rack's master (a
 * systemd unit for the daemon, dnsmasq for the rack's subnet, an apt cache and a time server when
 * their packages are there), undo it, and carry the state dir to a new master.
 */
import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pirackError } from '../../errors.ts';
import { backupStateDir, restoreStateDir } from '../../master/backup.ts';
import { installMaster, uninstallMaster } from '../../master/install.ts';
import { masterLayout } from '../../master/layout.ts';
import { packageBin } from '../../master/package-bin.ts';
import { runProgram } from '../../master/run.ts';
import { loadRack, readPublicKeyFile } from '../../config/load.ts';
import { resolveBuiltin } from '../../slave/bundle.ts';
import { DEFAULT_STATE_DIR } from '../common.ts';
import { parseListen } from '../parse.ts';

const DEFAULT_RACK = '/etc/pirack/rack.yaml';

interface InstallCliOptions {
  root: string;
  rack: string;
  git?: string;
  branch: string;
  stateDir: string;
  listen: string;
  interface?: string;
  force: boolean;
  start: boolean;
  node: string;
}

/** `--root`: an existing directory, so that a missing value (`--root --force`) is never taken for one. */
function rootDir(value: string): string {
  const root = resolve(value);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw pirackError('PIRACK_ERR_USAGE', `--root ${value}: not an existing directory`);
  }
  return root;
}

/** The interface that holds the master's address on the rack's subnet. */
function interfaceWith(address: string): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (addresses?.some((a) => a.address === address)) return name;
  }
  return undefined;
}

function installCommand(): Command {
  return new Command('install')
    .description(
      'make this machine the master: state dir and key pair, a systemd unit for the daemon, dnsmasq (and apt cache, time) for the rack',
    )
    .option('--rack <file>', 'rack.yaml as the master sees it; its network: block sets dnsmasq up', DEFAULT_RACK)
    .option(
      '--git <repo>',
      'the daemon follows the committed rack.yaml of this repository instead of --rack (read from its work tree here)',
    )
    .option('--branch <name>', 'branch to follow with --git', 'main')
    .option('--state-dir <dir>', 'the daemon state dir (under /var/lib)', DEFAULT_STATE_DIR)
    .option('--listen <host:port>', "the daemon's API and dashboard address", '127.0.0.1:8080')
    .option('--interface <name>', "the master's interface on the rack's subnet (default: the one holding network.master)")
    .option('--node <path>', 'the Node.js the unit runs the daemon with (a current one; Debian 12 ships 18)', process.execPath)
    .option('--force', 'install on a machine that is not a Raspberry Pi (a lab or test machine)', false)
    .option('--no-start', 'enable the unit without starting it now')
    .option('--root <dir>', 'install into this directory instead of / (tests; systemctl only enables)', '/')
    .action(async (opts: InstallCliOptions) => {
      const root = rootDir(opts.root);
      const layout = masterLayout(root);
      parseListen(opts.listen);
      const rackFile = opts.git ? `${opts.git}/rack.yaml` : opts.rack;
      // The key pair is made by this install: a missing one is no problem yet.
      const rack = await loadRack(layout.at(resolve(rackFile)), {
        resolveBuiltin,
        requireKey: false,
        readPublicKey: (path) => readPublicKeyFile(layout.at(path)),
      });
      const iface = opts.interface ?? (root === '/' ? interfaceWith(rack.network.master) : undefined);
      if (iface === undefined) {
        throw pirackError(
          'PIRACK_ERR_USAGE',
          `no interface of this machine holds network.master ${rack.network.master}; pass --interface`,
          {
            where: rackFile,
          },
        );
      }
      const source = opts.git ? ['--git', resolve(opts.git), '--branch', opts.branch] : ['--rack', resolve(opts.rack)];
      const report = await installMaster({
        layout,
        rack,
        interface: iface,
        force: opts.force,
        start: opts.start,
        run: runProgram,
        unit: {
          node: opts.node,
          bin: packageBin(),
          daemonArgs: ['daemon', ...source, '--state-dir', opts.stateDir, '--listen', opts.listen],
          stateDir: opts.stateDir,
          workDir: opts.git ? resolve(opts.git) : dirname(resolve(opts.rack)),
        },
      });
      const out = process.stdout;
      for (const w of report.warnings) process.stderr.write(`pirack: warning: ${w}\n`);
      if (report.changed.length === 0 && report.done.length === 0) {
        out.write('already installed: every file is as it should be; nothing changed\n');
        return;
      }
      for (const f of report.changed) out.write(`wrote ${f}\n`);
      for (const d of report.done) out.write(`${d}\n`);
      if (report.createdToken) {
        out.write(
          `\nAdmin token (shown once, never in the journal; kept 0600 in ${opts.stateDir}/admin-token):\n  ${report.createdToken}\n`,
        );
      }
    });
}

function uninstallCommand(): Command {
  return new Command('uninstall')
    .description("undo master install: stop and disable the unit, remove PiRack's drop-ins (the user's own files are kept)")
    .option('--state-dir <dir>', 'the daemon state dir', DEFAULT_STATE_DIR)
    .option('--purge', 'also remove the state dir (pins, bindings, key pair, token): back it up first', false)
    .option('--root <dir>', 'uninstall from this directory instead of / (tests)', '/')
    .action(async (opts: { stateDir: string; purge: boolean; root: string }) => {
      const report = await uninstallMaster({
        layout: masterLayout(rootDir(opts.root)),
        stateDir: opts.stateDir,
        purge: opts.purge,
        run: runProgram,
      });
      if (report.removed.length === 0 && report.done.length === 0) process.stdout.write('not installed: nothing to remove\n');
      for (const f of report.removed) process.stdout.write(`removed ${f}\n`);
      for (const f of report.kept) process.stdout.write(`kept ${f} (not written by PiRack)\n`);
      for (const d of report.done) process.stdout.write(`${d}\n`);
      if (!opts.purge) process.stdout.write(`kept the state dir ${opts.stateDir} (--purge removes it)\n`);
    });
}

function backupCommand(): Command {
  return new Command('backup')
    .description('write the state dir (pins, bindings, last good revision, token, key pair) to FILE (0600: it holds secrets)')
    .argument('<file>')
    .option('--state-dir <dir>', 'the daemon state dir', DEFAULT_STATE_DIR)
    .action(async (file: string, opts: { stateDir: string }) => {
      const { files } = await backupStateDir(resolve(opts.stateDir), resolve(file));
      process.stdout.write(`backed up ${files} file(s) of ${opts.stateDir} to ${file}\n`);
    });
}

function restoreCommand(): Command {
  return new Command('restore')
    .description('replace the state dir with a backup (refused while a daemon runs; the old one is moved aside)')
    .argument('<file>')
    .option('--state-dir <dir>', 'the daemon state dir', DEFAULT_STATE_DIR)
    .action(async (file: string, opts: { stateDir: string }) => {
      const result = await restoreStateDir(resolve(opts.stateDir), resolve(file));
      process.stdout.write(`restored ${result.files} file(s) into ${opts.stateDir}\n`);
      if (result.movedAside) process.stdout.write(`the previous state dir is kept at ${result.movedAside}\n`);
    });
}

export function masterCommand(): Command {
  return new Command('master')
    .description('set this machine up as the master (install, uninstall) and carry its state (backup, restore)')
    .addCommand(installCommand())
    .addCommand(uninstallCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand());
}
