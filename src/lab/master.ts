/**
 * The virtual master (issue 12): a container booted from the lab's own image, on the lab's bridge
 * at MASTER_VM_IP, where PiRack is installed the way a user installs it on a master Pi (apt-get
 * the prerequisites, `npm install -g` the packed tarball, `pirack master install`) and its daemon
 * runs under the container's systemd. What a container lacks is lent by the host, and only that:
 *
 * - Node.js and npm: Debian 12's nodejs is 18 and no newer one can be downloaded here, so the
 *   host's `node` and npm are bind-mounted read-only (a real master installs a current Node.js,
 *   docs/master.md). The host's npm cache comes in as well, so `npm install --offline` finds
 *   every dependency without the registry, and Node's headers for the native modules.
 * - The relay: the master's GPIO is a stand-in `gpioset`/`gpioget`/`gpiodetect` that asks the
 *   host's lab to switch a stack (src/lab/master-relay.ts), so the daemon runs its real gpiod
 *   driver.
 * - DHCP: the host's dnsmasq is stopped (stopLabDhcp) before the master's starts, so there are
 *   never two DHCP servers on one bridge.
 *
 * Everything is recorded in the lab state and named with the lab's prefixes, so `lab down`
 * removes the master with the rest.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pirackError } from '../errors.ts';
import { hostExec, mustExec, type Exec, type ExecResult } from './exec.ts';
import { cardFiles, LAB_PREFIX, labDir } from './paths.ts';
import { netCommands } from './network.ts';
import { containerArgs, findContainerInit, isPiRunning, powerOffPi, prepareCardRoot } from './pi.ts';
import { isAlive, record, sleep, spawnDetached, stopRecorded } from './process.ts';
import { gpioShimFiles, RELAY_DIR_IN_MASTER } from './master-relay.ts';
import { readState, updateState } from './state.ts';

export const MASTER_VM_IP = '10.213.0.2';
/** A locally administered MAC: the master is no Pi the enlistment could mistake for one. */
export const MASTER_VM_MAC = '02:00:0a:d5:00:02';
export const MASTER_NETNS = `${LAB_PREFIX}master`;
/** Host side of the master's veth; the lab prefix makes `lab down` delete it. */
export const MASTER_VETH = `${LAB_PREFIX}mv`;
/** The master's card: room for build-essential, git, dnsmasq and a global npm install (sparse). */
export const MASTER_CARD_BYTES = 6 * 1024 * 1024 * 1024;
/** Where the host's directory of packed tarballs appears inside the master. */
export const DIST_IN_MASTER = '/mnt/pirack-dist';

export function masterFiles(dir: string) {
  const base = path.join(dir, 'master');
  return {
    ...cardFiles(base),
    /** Bind-mounted at RELAY_DIR_IN_MASTER: the relay shim's socket lives here. */
    relayDir: path.join(base, 'relay'),
  } as const;
}

/** What the host lends the master: read-only unless said otherwise. */
export interface MasterBind {
  readonly host: string;
  readonly inside: string;
  readonly writable?: boolean;
}

export interface VirtualMasterOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  /** The host directory holding the packed tarball (`npm run package`), seen at DIST_IN_MASTER. */
  readonly distDir: string;
  /** The host's npm cache (default /root/.npm), for `npm install --offline`. */
  readonly npmCache?: string;
  readonly progress?: (line: string) => void;
}

/** The host's Node.js install the master borrows (see the file comment). */
function hostNodeBinds(npmCache: string, distDir: string, relayDir: string): MasterBind[] {
  const nodeDir = path.dirname(path.dirname(process.execPath));
  return [
    { host: process.execPath, inside: '/usr/local/bin/node' },
    { host: path.join(nodeDir, 'lib/node_modules/npm'), inside: '/usr/local/lib/node_modules/npm' },
    { host: path.join(nodeDir, 'include/node'), inside: '/usr/include/node' },
    // npm adds the tarball itself to its cache: the cache is lent writable (content-addressed, so
    // sharing it with the host's npm is safe).
    { host: npmCache, inside: '/root/.npm', writable: true },
    { host: distDir, inside: DIST_IN_MASTER },
    { host: relayDir, inside: RELAY_DIR_IN_MASTER, writable: true },
  ];
}

export function masterNspawnArgs(root: string, binds: readonly MasterBind[]): string[] {
  return [
    ...containerArgs(root, 'pirack-master', MASTER_NETNS),
    ...binds.map((b) => `${b.writable ? '--bind' : '--bind-ro'}=${b.host}:${b.inside}`),
  ];
}

/** The `ip` argv lists that give the master its namespace and its port on the bridge. */
export function masterNetCommands(): string[][] {
  return netCommands(MASTER_NETNS, MASTER_VETH, MASTER_VM_MAC);
}

/** A master has a fixed address on the rack's network (it serves DHCP there); sorted before the image's DHCP config. */
export const MASTER_NETWORK_FILE = `[Match]
Name=eth0

[Network]
Address=${MASTER_VM_IP}/24
`;

/** Writes onto the master's card what makes it the master rather than one more Pi. */
async function personalize(root: string): Promise<void> {
  await writeFile(path.join(root, 'etc/systemd/network/10-pirack-master.network'), MASTER_NETWORK_FILE, { mode: 0o644 });
  await writeFile(path.join(root, 'etc/hostname'), 'pirack-master\n');
  await writeFile(path.join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tpirack-master\n');
  const bin = path.join(root, 'usr/local/bin');
  await mkdir(bin, { recursive: true });
  for (const shim of gpioShimFiles()) await writeFile(path.join(bin, shim.name), shim.text, { mode: 0o755 });
  await rm(path.join(bin, 'npm'), { force: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(bin, 'npm'));
  // node-gyp builds the native modules against the lent headers instead of downloading them.
  await writeFile(path.join(root, 'root/.npmrc'), 'nodedir=/usr\nfund=false\naudit=false\nupdate-notifier=false\n', { mode: 0o600 });
}

/** Stops the host's dnsmasq on the bridge (the master's takes over); idempotent. */
export async function stopLabDhcp(dir: string = labDir()): Promise<void> {
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: dir });
  await stopRecorded(state.dnsmasq);
  await updateState(dir, (s) => {
    const { dnsmasq: _gone, ...rest } = s;
    return rest;
  });
}

/** Boots the virtual master on a lab that is up; resolves once its systemd is running (bounded). */
export async function bootVirtualMaster(options: VirtualMasterOptions): Promise<void> {
  const dir = options.dir ?? labDir();
  const exec = options.exec ?? hostExec;
  const say = options.progress ?? (() => {});
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up (run `pirack lab up`)', { where: dir });
  if (state.master && (await isPiRunning(state.master)))
    throw pirackError('PIRACK_ERR_LAB', 'the virtual master runs already', { where: dir });
  if (await isAlive(state.dnsmasq)) {
    throw pirackError(
      'PIRACK_ERR_LAB',
      "the host's dnsmasq still serves the bridge: stop it first (stopLabDhcp), or there would be two DHCP servers",
      {
        where: dir,
      },
    );
  }
  const f = masterFiles(dir);
  await mkdir(f.relayDir, { recursive: true, mode: 0o700 });
  for (const args of masterNetCommands()) await mustExec(exec, 'ip', args);
  const root = await prepareCardRoot(exec, f, state.imageDir, MASTER_CARD_BYTES);
  await personalize(root);
  const binds = hostNodeBinds(options.npmCache ?? '/root/.npm', options.distDir, f.relayDir);
  const nspawn = await spawnDetached('systemd-nspawn', masterNspawnArgs(root, binds), f.console);
  const deadline = Date.now() + 15_000;
  let initPid: number | undefined;
  while (initPid === undefined && Date.now() < deadline && (await isAlive(nspawn))) {
    initPid = await findContainerInit(nspawn.pid);
    if (initPid === undefined) await sleep(50);
  }
  if (initPid === undefined) {
    await stopRecorded(nspawn);
    throw pirackError('PIRACK_ERR_LAB', `the virtual master did not start its init (see ${f.console})`, { where: dir });
  }
  const init = await record(initPid);
  await updateState(dir, (s) => ({ ...s, master: { nspawn, init, root } }));
  say(`virtual master booting at ${MASTER_VM_IP} (pid ${init.pid})`);
  const up = await waitForMaster(dir, 60_000);
  if (!up)
    throw pirackError('PIRACK_ERR_LAB', `the virtual master's systemd did not come up within 60 s (see ${f.console})`, { where: dir });
}

async function waitForMaster(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await masterExec('systemctl is-system-running', { dir, timeoutMs: 10_000 }).catch(() => undefined);
    const state = r?.stdout.trim();
    if (state === 'running' || state === 'degraded') return true;
    await sleep(500);
  }
  return false;
}

export interface MasterExecOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/**
 * Runs a shell command inside the virtual master as root, with a clean login-like environment
 * (the host's npm_config_* and the test runner's variables stay out).
 */
export async function masterExec(cmd: string, options: MasterExecOptions = {}): Promise<ExecResult> {
  const dir = options.dir ?? labDir();
  const master = (await readState(dir))?.master;
  if (!master || !(await isAlive(master.init))) throw pirackError('PIRACK_ERR_LAB', 'the virtual master is not running', { where: dir });
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'USER=root'];
  return (options.exec ?? hostExec)('nsenter', ['-t', String(master.init.pid), '-a', 'env', '-i', ...env, '/bin/sh', '-c', cmd], {
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

/** Cuts the master's power and forgets it (its card stays until `lab down`). */
export async function stopVirtualMaster(dir: string = labDir()): Promise<void> {
  const master = (await readState(dir))?.master;
  if (!master) return;
  await powerOffPi(master);
  await updateState(dir, (s) => {
    const { master: _gone, ...rest } = s;
    return rest;
  });
}
