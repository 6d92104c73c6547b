/**
 * One virtual Pi: an SD card (a sparse ext4 image, so "disk full" is a real ENOSPC), an overlay
 * root over the shared image with its upper layer on that card, and systemd-nspawn booting it in
 * the Pi's network namespace. Power-off is SIGKILL to the container's PID 1, as a relay cutting
 * power: no shutdown runs, and the card keeps whatever had reached it.
 */
import { mkdir, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { piCgroups } from './cgroups.ts';
import { hostExec, mustExec, type Exec } from './exec.ts';
import { isMountPoint } from './mounts.ts';
import { piFiles, type CardFiles } from './paths.ts';
import { mountSensors, SENSORS_MOUNT_SCRIPT, writeSensors } from './sensors.ts';
import { NET_SYSFS_SCRIPT, supervisedArgv } from './supervisor.ts';
import { childPids, isAlive, record, signalRecorded, sleep, spawnDetached, waitGone, type RecordedPid } from './process.ts';
import type { LabPiState } from './state.ts';

/** Size of each Pi's SD card (sparse: only what is written uses host disk). */
export const SD_CARD_BYTES = 1024 * 1024 * 1024;

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Creates the Pi's card if new, and mounts card and overlay root if not mounted (idempotent). */
export async function preparePiRoot(exec: Exec, dir: string, id: number, imageDir: string): Promise<string> {
  return prepareCardRoot(exec, piFiles(dir, id), imageDir, SD_CARD_BYTES);
}

/** A sparse ext4 card of `bytes` (made if new), mounted, and an overlay root with its upper layer on it. */
export async function prepareCardRoot(exec: Exec, f: CardFiles, imageDir: string, bytes: number): Promise<string> {
  await mkdir(f.sdMount, { recursive: true });
  await mkdir(f.root, { recursive: true });
  if (!(await exists(f.sdImage))) {
    await mustExec(exec, 'truncate', ['-s', String(bytes), f.sdImage]);
    // -m 0: no blocks reserved for root, or root (everything on a Pi) would never see ENOSPC.
    await mustExec(exec, 'mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', f.sdImage]);
  }
  if (!(await isMountPoint(f.sdMount))) await mustExec(exec, 'mount', ['-o', 'loop', f.sdImage, f.sdMount]);
  await mkdir(f.upper, { recursive: true });
  await mkdir(f.work, { recursive: true });
  if (!(await isMountPoint(f.root))) {
    await mustExec(exec, 'mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${imageDir},upperdir=${f.upper},workdir=${f.work}`, f.root]);
  }
  return f.root;
}

export function nspawnArgs(pi: Pick<LabPiState, 'id' | 'root' | 'netns'>): string[] {
  return containerArgs(pi.root, `pirack-pi${pi.id}`, pi.netns);
}

/** systemd-nspawn booting `root` as `machine` in the lab namespace `netns` (a Pi, the virtual master). */
export function containerArgs(root: string, machine: string, netns: string): string[] {
  return [
    '-D',
    root,
    '--boot',
    '--register=no',
    '--keep-unit',
    `--machine=${machine}`,
    '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
    `--network-namespace-path=/run/netns/${netns}`,
    '--console=read-only',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
  ];
}

/** The container's PID 1 as seen from the host: a descendant of nspawn whose innermost pid is 1. */
export async function findContainerInit(nspawnPid: number): Promise<number | undefined> {
  const queue = [nspawnPid];
  for (let depth = 0; depth < 3 && queue.length > 0; depth++) {
    const next: number[] = [];
    for (const pid of queue) {
      for (const child of await childPids(pid)) {
        const status = await readFile(`/proc/${child}/status`, 'utf8').catch(() => '');
        const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
        if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return child;
        next.push(child);
      }
    }
    queue.splice(0, queue.length, ...next);
  }
  return undefined;
}

/** Boots the Pi; resolves once its PID 1 exists (bounded), with both PIDs to record. */
export async function bootPi(
  dir: string,
  pi: Pick<LabPiState, 'id' | 'root' | 'netns'>,
): Promise<{ nspawn: RecordedPid; init: RecordedPid }> {
  const cgroups = await piCgroups(pi.id);
  await writeSensors(pi.root, pi.id);
  // Under the reboot loop (supervisor.ts): `nspawn` records the loop, whose child is systemd-nspawn.
  const nspawn = await spawnDetached(
    '/bin/sh',
    supervisedArgv(cgroups, 'systemd-nspawn', nspawnArgs(pi), SENSORS_MOUNT_SCRIPT),
    piFiles(dir, pi.id).console,
  );
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const initPid = await findContainerInit(nspawn.pid);
    if (initPid !== undefined) {
      try {
        const init = await record(initPid);
        await ownNetSysfs(initPid);
        // Best effort like the sysfs above: a Pi without its stand-in sensor still boots (temperature null).
        await mountSensors(initPid).catch(() => undefined);
        return { nspawn, init };
      } catch {
        // It died between being found and recorded: report below.
      }
    }
    if (!(await isAlive(nspawn))) break;
    await sleep(50);
  }
  await signalRecorded(nspawn, 'SIGKILL');
  const log = await readFile(piFiles(dir, pi.id).console, 'utf8').catch(() => '');
  throw new Error(`systemd-nspawn for pi ${pi.id} did not start its init: ${log.trim().split('\n').slice(-3).join(' | ')}`);
}

/**
 * With --network-namespace-path, nspawn bind-mounts the host's /sys, so /sys/class/net inside the
 * Pi listed the host's interfaces and the probe read the host's eth0 MAC. A sysfs mounted from
 * inside the Pi's network namespace shows its own; its net directories are bound over the host's
 * (a Pi's interfaces are all virtual). Best effort: a Pi without it still boots and answers.
 */
async function ownNetSysfs(initPid: number): Promise<void> {
  // nspawn's PID 1 sets up the mounts before it execs systemd; mounting earlier would be covered.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await readFile(`/proc/${initPid}/comm`, 'utf8').catch(() => '')).trim() !== 'systemd') await sleep(20);
  await hostExec('nsenter', ['-t', String(initPid), '-m', '-n', '/bin/sh', '-c', NET_SYSFS_SCRIPT], { timeoutMs: 10_000 }).catch(
    () => undefined,
  );
}

/**
 * The container's PID 1 now: the recorded one while it lives, else (after a reboot inside) the
 * one the reboot loop started since. Undefined while the Pi is off or between two boots.
 */
export async function liveInit(pi: Pick<LabPiState, 'init' | 'nspawn'>): Promise<RecordedPid | undefined> {
  if (await isAlive(pi.init)) return pi.init;
  if (!pi.nspawn || !(await isAlive(pi.nspawn))) return undefined;
  const pid = await findContainerInit(pi.nspawn.pid);
  return pid === undefined ? undefined : record(pid).catch(() => undefined);
}

/**
 * A power cut: the reboot loop is frozen first (SIGSTOP: it starts nothing more, and its process
 * tree still leads to the container), then SIGKILL to the container's PID 1 and to the loop; the
 * nspawn it ran exits once its container is gone.
 */
export async function powerOffPi(pi: Pick<LabPiState, 'init' | 'nspawn'>): Promise<void> {
  await signalRecorded(pi.nspawn, 'SIGSTOP');
  const init = await liveInit(pi);
  const children: RecordedPid[] = [];
  if (pi.nspawn && (await isAlive(pi.nspawn))) {
    for (const pid of await childPids(pi.nspawn.pid)) {
      const child = await record(pid).catch(() => undefined);
      if (child) children.push(child);
    }
  }
  await signalRecorded(init, 'SIGKILL');
  await signalRecorded(pi.init, 'SIGKILL');
  await signalRecorded(pi.nspawn, 'SIGKILL');
  await waitGone(init, 5000);
  for (const child of [pi.nspawn, ...children]) {
    if (!(await waitGone(child, 10_000))) {
      await signalRecorded(child, 'SIGKILL');
      await waitGone(child, 5000);
    }
  }
}

/** Powered: the Pi runs, or its reboot loop is between two boots. */
export async function isPiRunning(pi: Pick<LabPiState, 'init' | 'nspawn'>): Promise<boolean> {
  return (await isAlive(pi.init)) || (await isAlive(pi.nspawn));
}

/**
 * Memory of a running Pi: the sum of PSS over the processes in its PID namespace, so pages of the
 * shared image that several Pis map are split between them rather than counted in full each.
 */
export async function piMemoryBytes(pi: Pick<LabPiState, 'init' | 'nspawn'>): Promise<number | undefined> {
  const init = await liveInit(pi);
  if (!init) return undefined;
  const target = await readlink(`/proc/${init.pid}/ns/pid`).catch(() => undefined);
  if (!target) return undefined;
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) !== target) continue;
    const rollup = await readFile(`/proc/${entry}/smaps_rollup`, 'utf8').catch(() => '');
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    if (kb) total += Number(kb) * 1024;
  }
  return total;
}
