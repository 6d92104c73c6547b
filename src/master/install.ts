/**
 * `pirack master install` and `uninstall`: turn a Debian/Raspberry Pi OS machine into the rack's
 * master, and back. Everything is checked before anything is written (not a Pi, a missing
 * prerequisite, a file that is the user's own): a refusal changes nothing. A second run with the
 * same settings finds every file as it should be and changes nothing.
 *
 * What a failure half-way leaves behind: the files already written (each written atomically),
 * and the key pair; running install again completes it, uninstall removes it.
 */
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ensureAdminToken } from '../http/auth/admin-token.ts';
import type { RackSpec } from '../model/desired.ts';
import { pirackError } from '../errors.ts';
import { stateLockHolder } from '../daemon/state-lock.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { boardModel, checkPrerequisites, isRaspberryPiModel, missingInstallLine } from './detect.ts';
import { aptCacherDropInText, chronyDropInText, dnsmasqDropInText, stateDirectoryName, unitText, type UnitSettings } from './files.ts';
import { MANAGED_MARK, UNIT_NAME, type MasterLayout } from './layout.ts';
import type { Runner } from './run.ts';

export interface InstallOptions {
  readonly layout: MasterLayout;
  readonly rack: RackSpec;
  readonly unit: UnitSettings;
  /** The master's interface on the rack's subnet. */
  readonly interface: string;
  /** Install on a machine that is not a Raspberry Pi (a lab container, a test). */
  readonly force: boolean;
  /** Start (or restart) the daemon now; only on a live root (`/`). */
  readonly start: boolean;
  readonly run: Runner;
}

export interface InstallReport {
  /** Files written or changed, as the master sees them. */
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
  /** What was set up besides files (key pair, token, unit enabled, services restarted). */
  readonly done: readonly string[];
  readonly warnings: readonly string[];
  /** The admin token, only when this run created it: shown once to the person installing. */
  readonly createdToken?: string;
}

interface ManagedFile {
  readonly path: string;
  readonly text: string;
  /** The service to restart when this file changed (live root only). */
  readonly service?: string;
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

async function existsAt(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isLive(layout: MasterLayout): boolean {
  return layout.root === '/';
}

async function systemctl(options: { layout: MasterLayout; run: Runner }, args: readonly string[]): Promise<number> {
  const { layout, run } = options;
  const full = isLive(layout) ? args : [`--root=${layout.root}`, ...args];
  const result = await run('systemctl', full);
  return result.code;
}

async function mustSystemctl(options: { layout: MasterLayout; run: Runner }, args: readonly string[]): Promise<void> {
  const { layout, run } = options;
  const full = isLive(layout) ? args : [`--root=${layout.root}`, ...args];
  const result = await run('systemctl', full);
  if (result.code !== 0) {
    throw pirackError('PIRACK_ERR_COMMAND_FAILED', `systemctl ${full.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
}

/** Refuses, changing nothing, when this is not a Pi (without --force) or a prerequisite is missing. */
async function checkMachine(options: InstallOptions): Promise<{ warnings: string[]; aptCache: boolean; timeServer: boolean }> {
  const { layout } = options;
  const model = await boardModel(layout);
  const warnings: string[] = [];
  if (!isRaspberryPiModel(model)) {
    const seen = model === undefined ? 'it has no device-tree model' : `its device-tree model is "${model}"`;
    if (!options.force) {
      throw pirackError(
        'PIRACK_ERR_NOT_A_PI',
        `this machine is not a Raspberry Pi (${seen}); a master is; use --force for a lab or test machine`,
        {
          where: layout.at('/proc/device-tree/model'),
        },
      );
    }
    warnings.push(`not a Raspberry Pi (${seen}): installing anyway (--force)`);
  }
  if (isLive(layout) && process.getuid?.() !== 0) {
    throw pirackError('PIRACK_ERR_USAGE', 'pirack master install writes /etc and /var/lib: run it as root (sudo)');
  }
  const prerequisites = await checkPrerequisites(layout);
  const missing = missingInstallLine(prerequisites.required);
  if (missing !== undefined) throw pirackError('PIRACK_ERR_MASTER_PREREQUISITE', missing);
  const { aptCache, timeServer } = prerequisites.optional;
  for (const p of [aptCache, timeServer]) {
    if (!p.present)
      warnings.push(`${p.what} is not installed: the rack goes without (apt-get install ${p.install}, then run install again)`);
  }
  if (stateDirectoryName(options.unit.stateDir) === undefined) {
    throw pirackError('PIRACK_ERR_USAGE', `--state-dir ${options.unit.stateDir} must be under /var/lib (systemd's StateDirectory)`);
  }
  return { warnings, aptCache: aptCache.present, timeServer: timeServer.present };
}

function managedFiles(options: InstallOptions, serves: { aptCache: boolean; timeServer: boolean }): ManagedFile[] {
  const { layout, rack } = options;
  return [
    { path: layout.unitFile, text: unitText(options.unit) },
    {
      path: layout.dnsmasqDropIn,
      text: dnsmasqDropInText({ network: rack.network, interface: options.interface, ntp: serves.timeServer }),
      service: 'dnsmasq.service',
    },
    ...(serves.timeServer ? [{ path: layout.chronyDropIn, text: chronyDropInText(rack.network), service: 'chrony.service' }] : []),
    ...(serves.aptCache ? [{ path: layout.aptCacherDropIn, text: aptCacherDropInText(), service: 'apt-cacher-ng.service' }] : []),
  ];
}

export async function installMaster(options: InstallOptions): Promise<InstallReport> {
  const { layout, rack, run } = options;
  const { warnings, ...serves } = await checkMachine(options);
  const files = managedFiles(options, serves);

  // Every file is read and judged before the first write: a user's own file stops the install whole.
  const current = await Promise.all(files.map(async (f) => ({ file: f, text: await readOrUndefined(layout.at(f.path)) })));
  const foreign = current.filter((c) => c.text !== undefined && !c.text.startsWith(MANAGED_MARK)).map((c) => c.file.path);
  if (foreign.length > 0) {
    throw pirackError(
      'PIRACK_ERR_MASTER_CONFLICT',
      `not written by PiRack, left as they are: ${foreign.map((p) => layout.at(p)).join(', ')}`,
    );
  }

  const done: string[] = [];
  const stateDir = layout.at(options.unit.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const secrets = layout.at(`${options.unit.workDir}/secrets`);
  if (!(await existsAt(secrets))) {
    await mkdir(secrets, { recursive: true, mode: 0o700 });
    done.push(`created ${options.unit.workDir}/secrets (0700) for the bootstrap password`);
  }

  const keyFile = layout.at(rack.ssh.keyFile);
  if (!(await existsAt(keyFile))) {
    await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
    const made = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `pirack-daemon@${hostname()}`, '-f', keyFile]);
    if (made.code !== 0) throw pirackError('PIRACK_ERR_COMMAND_FAILED', `ssh-keygen failed (exit ${made.code}): ${made.stderr.trim()}`);
    done.push(`created the daemon's key pair ${rack.ssh.keyFile}{,.pub}`);
  }

  const token = await ensureAdminToken({ stateDir, env: {} });
  if (token.created) done.push(`created the admin token ${options.unit.stateDir}/admin-token (0600)`);

  const hostsFile = layout.at(rack.network.dhcp.hostsFile);
  if (!(await existsAt(hostsFile))) {
    await mkdir(dirname(hostsFile), { recursive: true });
    await writeFileAtomic(hostsFile, '', { mode: 0o644 });
    done.push(`created the empty DHCP hosts file ${rack.network.dhcp.hostsFile}`);
  }

  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const { file, text } of current) {
    if (text === file.text) {
      unchanged.push(file.path);
      continue;
    }
    await mkdir(dirname(layout.at(file.path)), { recursive: true });
    await writeFileAtomic(layout.at(file.path), file.text, { mode: 0o644 });
    changed.push(file.path);
  }

  const sys = { layout, run };
  if (isLive(layout) && changed.length > 0) await mustSystemctl(sys, ['daemon-reload']);
  if ((await systemctl(sys, ['is-enabled', '--quiet', UNIT_NAME])) !== 0) {
    await mustSystemctl(sys, ['enable', UNIT_NAME]);
    done.push(`enabled ${UNIT_NAME}`);
  }
  if (isLive(layout)) {
    for (const file of files) {
      if (file.service && changed.includes(file.path)) {
        await mustSystemctl(sys, ['restart', file.service]);
        done.push(`restarted ${file.service}`);
      }
    }
    if (options.start) {
      const verb = changed.includes(layout.unitFile) ? 'restart' : 'start';
      await mustSystemctl(sys, [verb, UNIT_NAME]);
      done.push(`${verb === 'start' ? 'started' : 'restarted'} ${UNIT_NAME}`);
    }
  }
  return { changed, unchanged, done, warnings, ...(token.created ? { createdToken: token.token } : {}) };
}

export interface UninstallOptions {
  readonly layout: MasterLayout;
  readonly stateDir: string;
  /** Also remove the state dir (pins, bindings, key pair, token): refused while a daemon holds it. */
  readonly purge: boolean;
  readonly run: Runner;
}

export interface UninstallReport {
  readonly removed: readonly string[];
  /** Files at PiRack's paths that PiRack did not write: kept. */
  readonly kept: readonly string[];
  readonly done: readonly string[];
}

/** Undoes install: the unit stopped and disabled, PiRack's own files removed, the user's kept. */
export async function uninstallMaster(options: UninstallOptions): Promise<UninstallReport> {
  const { layout, run } = options;
  const sys = { layout, run };
  const paths: { path: string; service?: string }[] = [
    { path: layout.unitFile },
    { path: layout.dnsmasqDropIn, service: 'dnsmasq.service' },
    { path: layout.chronyDropIn, service: 'chrony.service' },
    { path: layout.aptCacherDropIn, service: 'apt-cacher-ng.service' },
  ];
  const current = await Promise.all(paths.map(async (p) => ({ ...p, text: await readOrUndefined(layout.at(p.path)) })));
  const ours = current.filter((c) => c.text?.startsWith(MANAGED_MARK));
  const kept = current.filter((c) => c.text !== undefined && !c.text.startsWith(MANAGED_MARK)).map((c) => c.path);
  const stateDir = layout.at(options.stateDir);
  const done: string[] = [];

  if (ours.some((c) => c.path === layout.unitFile)) {
    if ((await systemctl(sys, ['is-enabled', '--quiet', UNIT_NAME])) === 0) {
      await mustSystemctl(sys, isLive(layout) ? ['disable', '--now', UNIT_NAME] : ['disable', UNIT_NAME]);
      done.push(`stopped and disabled ${UNIT_NAME}`);
    } else if (isLive(layout)) {
      await systemctl(sys, ['stop', UNIT_NAME]);
    }
  }
  if (options.purge) {
    const holder = stateLockHolder(stateDir);
    if (holder !== undefined) {
      throw pirackError('PIRACK_ERR_DAEMON_RUNNING', `a daemon (pid ${holder}) still holds ${options.stateDir}; the state dir was kept`, {
        where: options.stateDir,
      });
    }
  }
  const removed: string[] = [];
  for (const c of ours) {
    await rm(layout.at(c.path), { force: true });
    removed.push(c.path);
  }
  if (isLive(layout)) {
    if (removed.length > 0) await mustSystemctl(sys, ['daemon-reload']);
    for (const c of ours) {
      if (c.service) {
        await systemctl(sys, ['try-restart', c.service]);
        done.push(`restarted ${c.service} without PiRack's drop-in`);
      }
    }
  }
  if (options.purge && (await existsAt(stateDir))) {
    await rm(stateDir, { recursive: true, force: true });
    done.push(`removed the state dir ${options.stateDir}`);
  }
  return { removed, kept, done };
}
