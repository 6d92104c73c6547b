/**
 * Tears the lab down: the processes recorded in its state, the processes left inside its network
 * namespaces, its mounts, its loop devices, its namespaces and links. Safe to run twice and after
 * a crash (it finds leftovers by the lab's name prefixes and by mounts under the lab dir). Keeps
 * the image cache.
 */
import { readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { removeLabCgroups } from './cgroups.ts';
import { hostExec, type Exec } from './exec.ts';
import { currentMountsUnder, detachLoopsUnder, unmountAllUnder } from './mounts.ts';
import { deleteLabNetwork, listLabNetns } from './network.ts';
import { labDir, labFiles } from './paths.ts';
import { masterFiles } from './master.ts';
import { powerOffPi } from './pi.ts';
import { record, stopRecorded, type RecordedPid } from './process.ts';
import { readState, removeState, withStateLock } from './state.ts';

export interface LabDownOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  readonly progress?: (line: string) => void;
}

export interface LabDownReport {
  readonly stoppedPids: number[];
  readonly unmounted: string[];
  readonly loops: string[];
  readonly netns: string[];
  readonly links: string[];
}

/** PIDs whose network namespace is one of the lab's: only lab Pis and lab helpers live there. */
async function pidsInNetns(names: readonly string[]): Promise<number[]> {
  const inodes = new Set<number>();
  for (const n of names) {
    const s = await stat(`/run/netns/${n}`).catch(() => undefined);
    if (s) inodes.add(s.ino);
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/net`).catch(() => '');
    const ino = Number(/net:\[(\d+)\]/.exec(link)?.[1]);
    if (inodes.has(ino)) pids.push(Number(entry));
  }
  return pids;
}

export async function labDown(options: LabDownOptions = {}): Promise<LabDownReport> {
  const dir = options.dir ?? labDir();
  const exec = options.exec ?? hostExec;
  const say = options.progress ?? (() => {});
  const files = labFiles(dir);
  const stopped: number[] = [];
  const stop = async (p: RecordedPid | undefined, graceMs = 2000): Promise<void> => {
    if (!p) return;
    await stopRecorded(p, graceMs);
    stopped.push(p.pid);
  };

  return withStateLock(dir, async () => {
    const state = await readState(dir).catch(() => undefined);
    if (state) {
      for (const pi of state.pis) for (const f of Object.values(pi.faults)) await stop(f?.helper, 500);
      await Promise.all([...state.pis, ...(state.master ? [state.master] : [])].map((pi) => powerOffPi(pi)));
      if (state.master) stopped.push(state.master.init.pid);
      for (const pi of state.pis) if (pi.init) stopped.push(pi.init.pid);
      await stop(state.dnsmasq);
      await stop(state.http);
    }
    // dnsmasq wrote its own pid file into the lab dir: whatever it names is the lab's dnsmasq
    // (checked against its command line, in case the PID was recycled).
    const pidText = await readFile(files.dnsmasqPid, 'utf8').catch(() => '');
    if (/^\d+\s*$/.test(pidText)) {
      const pid = Number(pidText);
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(files.dnsmasqPid)) await stop(await record(pid).catch(() => undefined));
    }
    // After a crash, Pis or helpers may be running that the state never recorded: they are in
    // the lab's namespaces, which nothing else uses.
    const netns = await listLabNetns(exec);
    for (let round = 0; round < 3; round++) {
      const pids = await pidsInNetns(netns);
      if (pids.length === 0) break;
      for (const pid of pids) await stop(await record(pid).catch(() => undefined), round === 0 ? 1000 : 0);
    }
    await removeLabCgroups();
    const unmounted = await unmountAllUnder(exec, dir);
    const loops = await detachLoopsUnder(exec, dir);
    const net = await deleteLabNetwork(exec);
    // Never recurse into a card or overlay that is still mounted.
    if ((await currentMountsUnder(dir)).length === 0) {
      await rm(files.pisDir, { recursive: true, force: true });
      await rm(masterFiles(dir).base, { recursive: true, force: true });
    }
    for (const f of [files.dhcpHosts, files.leases, files.dnsmasqPid]) await rm(f, { force: true });
    await rm(files.daemonState, { recursive: true, force: true });
    await removeState(dir);
    say(
      `lab down: ${stopped.length} processes stopped, ${unmounted.length} mounts, ${net.netns.length} namespaces, ${net.links.length} links removed`,
    );
    return { stoppedPids: stopped, unmounted, loops, netns: net.netns, links: net.links };
  });
}
