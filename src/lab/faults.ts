/**
 * Fault injection on one lab Pi, each with its undo. Every fault is real at the level the daemon
 * sees it: a dead container, a stopped sshd, packets delayed or dropped in the Pi's namespace, new
 * host keys, a dpkg lock held by a process inside, a root filesystem with no space left.
 */
import { mkdir, rm } from 'node:fs/promises';
import { pirackError } from '../errors.ts';
import { DELAYER_PY, delayRule, lossRule } from './delayer.ts';
import { hostExec, mustExec, type Exec } from './exec.ts';
import { labDir, piFiles } from './paths.ts';
import { labExec, runningPi } from './pi-exec.ts';
import { powerOff, powerOn } from './power.ts';
import { childPids, isAlive, record, sleep, spawnDetached, stopRecorded, type RecordedPid } from './process.ts';
import { findPi, readState, updateState, withPi, FAULT_KINDS, type FaultKind } from './state.ts';

export { FAULT_KINDS, type FaultKind } from './state.ts';

export interface FaultOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  /** Undo the fault instead of applying it. */
  readonly undo?: boolean;
  /** dpkg-lock: how long the lock is held (bounded; default 120 s). */
  readonly seconds?: number;
  /** net-delay: added delay (default 300 ms). */
  readonly delayMs?: number;
  /** net-loss: share of packets to the Pi dropped (default 30 %). */
  readonly lossPercent?: number;
}

/** What a fault does, for `--help` and status. */
export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  'power-loss': 'hard power cut: the link goes silent (no FIN, no RST), then SIGKILL to the container init; undo boots it again',
  'sshd-stopped': 'systemctl stop ssh.service inside; undo starts it',
  'net-delay': 'outgoing packets held 300 ms (NFQUEUE in the Pi namespace; this kernel has no netem)',
  'net-loss': '30 % of packets to the Pi dropped (iptables statistic in the Pi namespace)',
  'hostkey-regenerated': 'new SSH host keys + ssh restart; undo restores the old keys',
  'dpkg-lock': 'a process inside holds /var/lib/dpkg/lock-frontend and lock (fcntl, as apt does) for N seconds',
  'disk-full': 'fills the Pi root filesystem (its 1 GiB SD card) until ENOSPC; undo deletes the filler',
};

const FILL = '/var/tmp/pirack-lab-fill';
const HOSTKEY_GLOB = '/etc/ssh/ssh_host_*';

// Holds both dpkg locks with fcntl (apt and dpkg lock with fcntl, so flock(1) would not block them).
const DPKG_LOCK_PY = String.raw`
import fcntl, sys, time
fs = [open(p, 'a') for p in ('/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock')]
for f in fs: fcntl.lockf(f, fcntl.LOCK_EX)
time.sleep(float(sys.argv[1]))
`;

async function inPi(dir: string, id: number, cmd: string, exec: Exec): Promise<string> {
  const r = await labExec(id, cmd, { dir, exec });
  if (r.code !== 0)
    throw pirackError('PIRACK_ERR_LAB', `\`${cmd.split('\n')[0]}\` in pi ${id} exited ${r.code}: ${r.stderr.trim()}`, {
      where: `pi ${id}`,
    });
  return r.stdout;
}

async function inNetns(exec: Exec, netns: string, args: string[]): Promise<void> {
  await mustExec(exec, 'ip', ['netns', 'exec', netns, 'iptables', '-w', '5', ...args]);
}

async function setFault(dir: string, id: number, kind: FaultKind, on: boolean, helper?: RecordedPid): Promise<void> {
  await updateState(dir, (s) =>
    withPi(s, id, (p) => {
      const faults = { ...p.faults };
      if (on) faults[kind] = { since: new Date().toISOString(), ...(helper ? { helper } : {}) };
      else delete faults[kind];
      return { ...p, faults };
    }),
  );
}

/** Waits (bounded) for a descendant of `pid` (nsenter forks into the PID namespace) and records it. */
async function recordForkedChild(pid: number): Promise<RecordedPid | undefined> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const [child] = await childPids(pid);
    if (child !== undefined) return record(child).catch(() => undefined);
    await sleep(20);
  }
  return undefined;
}

/** Applies (or with `undo`, lifts) one fault on one Pi. */
export async function labFault(id: number, kind: FaultKind, options: FaultOptions = {}): Promise<void> {
  const dir = options.dir ?? labDir();
  const exec = options.exec ?? hostExec;
  if (!FAULT_KINDS.includes(kind)) {
    throw pirackError('PIRACK_ERR_USAGE', `unknown fault kind "${String(kind)}" (one of ${FAULT_KINDS.join(', ')})`);
  }
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  const pi = findPi(state, id);
  const undo = options.undo === true;

  switch (kind) {
    case 'power-loss':
      if (undo) await powerOn(dir, id, exec);
      else await powerOff(dir, id, exec);
      await setFault(dir, id, kind, !undo);
      return;
    case 'sshd-stopped':
      await inPi(dir, id, `systemctl ${undo ? 'start' : 'stop'} ssh.service`, exec);
      await setFault(dir, id, kind, !undo);
      return;
    case 'net-delay': {
      const old = pi.faults['net-delay']?.helper;
      await exec('ip', ['netns', 'exec', pi.netns, 'iptables', '-w', '5', ...delayRule('-D')]);
      await stopRecorded(old);
      if (undo) return setFault(dir, id, kind, false);
      const helper = await spawnDetached(
        'ip',
        ['netns', 'exec', pi.netns, '/usr/bin/python3', '-c', DELAYER_PY, '0', String(options.delayMs ?? 300), String(6 * 3600)],
        piFiles(dir, id).delayerLog,
      );
      // Let it bind the queue before packets go to it (--queue-bypass covers the gap anyway).
      await sleep(300);
      await inNetns(exec, pi.netns, delayRule('-A'));
      await setFault(dir, id, kind, true, helper);
      return;
    }
    case 'net-loss': {
      const pct = options.lossPercent ?? 30;
      // Delete any earlier loss rule, whatever its percentage, by listing the chain.
      const listed = await exec('ip', ['netns', 'exec', pi.netns, 'iptables', '-w', '5', '-S', 'INPUT']);
      for (const line of listed.stdout.split('\n')) {
        if (line.startsWith('-A INPUT') && line.includes('statistic')) {
          await exec('ip', ['netns', 'exec', pi.netns, 'iptables', '-w', '5', '-D', ...line.slice(3).trim().split(/\s+/)]);
        }
      }
      if (!undo) await inNetns(exec, pi.netns, lossRule('-A', pct));
      await setFault(dir, id, kind, !undo);
      return;
    }
    case 'hostkey-regenerated': {
      const saved = piFiles(dir, id).savedHostKeys;
      if (undo) {
        // The old keys were saved on the host (the Pi may have rebooted since); copy them back in.
        const r = await runningPi(dir, id);
        await inPi(dir, id, `rm -f ${HOSTKEY_GLOB}`, exec);
        await mustExec(exec, 'sh', ['-c', `cp -a "$1"/. "/proc/$2/root/etc/ssh/"`, 'sh', saved, String(r.init.pid)]);
        await inPi(dir, id, 'systemctl restart ssh.service', exec);
        await rm(saved, { recursive: true, force: true });
        return setFault(dir, id, kind, false);
      }
      const r = await runningPi(dir, id);
      if (!pi.faults['hostkey-regenerated']) {
        await rm(saved, { recursive: true, force: true });
        await mkdir(saved, { recursive: true });
        await mustExec(exec, 'sh', ['-c', `cp -a /proc/$1/root/etc/ssh/ssh_host_* "$2"/`, 'sh', String(r.init.pid), saved]);
      }
      await inPi(dir, id, `rm -f ${HOSTKEY_GLOB} && ssh-keygen -A >/dev/null && systemctl restart ssh.service`, exec);
      return setFault(dir, id, kind, true);
    }
    case 'dpkg-lock': {
      await stopRecorded(pi.faults['dpkg-lock']?.helper);
      if (undo) return setFault(dir, id, kind, false);
      const running = await runningPi(dir, id);
      const seconds = Math.min(Math.max(options.seconds ?? 120, 1), 3600);
      const nsenter = await spawnDetached(
        'nsenter',
        ['-t', String(running.init.pid), '-a', '/usr/bin/python3', '-c', DPKG_LOCK_PY, String(seconds)],
        `${piFiles(dir, id).base}/dpkg-lock.log`,
      );
      const holder = (await recordForkedChild(nsenter.pid)) ?? nsenter;
      // Report only once the lock is really held, so a test can rely on it right away.
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const r = await labExec(
          id,
          "python3 -c \"import fcntl;f=open('/var/lib/dpkg/lock-frontend','a');fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\"",
          { dir, exec },
        );
        if (r.code !== 0) break;
        if (!(await isAlive(holder))) break;
        await sleep(50);
      }
      return setFault(dir, id, kind, true, holder);
    }
    case 'disk-full': {
      if (undo) {
        await inPi(dir, id, `rm -f ${FILL} ${FILL}.tail ${FILL}.tail4k`, exec);
        return setFault(dir, id, kind, false);
      }
      // fallocate takes most of the space at once without writing; dd then takes the last blocks
      // (bounded by the card's size) until ENOSPC.
      await inPi(
        dir,
        id,
        `avail=$(df --output=avail -B1 / | tail -n 1); fallocate -l $((avail - 8388608)) ${FILL} 2>/dev/null || true; ` +
          `dd if=/dev/zero of=${FILL}.tail bs=64k 2>/dev/null; dd if=/dev/zero of=${FILL}.tail4k bs=4k 2>/dev/null; sync; test "$(df --output=avail -B1 / | tail -n 1)" -lt 1048576`,
        exec,
      );
      return setFault(dir, id, kind, true);
    }
  }
}
