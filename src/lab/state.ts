/**
 * The lab's state file, read by every process that touches the lab (the `lab up` CLI, a daemon's
 * lab relay, tests). Written atomically (temp file + rename) under a lock file, and after every
 * process start, so even a crashed `lab up` leaves every PID it started recorded for `lab down`.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pirackError } from '../errors.ts';
import { labFiles } from './paths.ts';
import type { RecordedPid } from './process.ts';

export type FaultKind = 'power-loss' | 'sshd-stopped' | 'net-delay' | 'net-loss' | 'hostkey-regenerated' | 'dpkg-lock' | 'disk-full';

export const FAULT_KINDS: readonly FaultKind[] = [
  'power-loss',
  'sshd-stopped',
  'net-delay',
  'net-loss',
  'hostkey-regenerated',
  'dpkg-lock',
  'disk-full',
];

/** One virtual Pi as recorded. */
export interface LabPiState {
  readonly id: number;
  readonly stack: number;
  readonly mac: string;
  /** Its fixed address in the lab's rack.yaml (with a blank inventory it leases a dynamic one first). */
  readonly fixedIp: string;
  readonly netns: string;
  readonly veth: string;
  /** Overlay root the container boots from. */
  readonly root: string;
  /** The systemd-nspawn process while the Pi runs. */
  readonly nspawn?: RecordedPid;
  /** The container's PID 1 (systemd) as seen from the host: killing it is a power cut. */
  readonly init?: RecordedPid;
  /** Faults in force, with the helper processes some of them run. */
  readonly faults: Partial<Record<FaultKind, { readonly since: string; readonly helper?: RecordedPid }>>;
}

export interface LabState {
  readonly version: 1;
  readonly createdAt: string;
  readonly stacks: number;
  readonly perStack: number;
  readonly blankInventory: boolean;
  /** Root may log in by password (the original's racks); otherwise the Pis look like stock Raspberry Pi OS. */
  readonly rootLogin?: boolean;
  /** Brought up by `pirack lab up` (see LabUpOptions.byHand): tests wait for it rather than take it down. */
  readonly byHand?: boolean;
  /** The process that brought it up (a test's, the bench's, or the `lab up` command's). */
  readonly createdBy?: RecordedPid;
  readonly imageHash: string;
  readonly imageDir: string;
  readonly repoDir: string;
  readonly dnsmasq?: RecordedPid;
  readonly http?: RecordedPid;
  /** The virtual master (src/lab/master.ts) while it runs; it took over DHCP when `dnsmasq` is gone. */
  readonly master?: { readonly nspawn: RecordedPid; readonly init: RecordedPid; readonly root: string };
  readonly pis: readonly LabPiState[];
}

export async function readState(dir: string): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await readFile(labFiles(dir).state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw pirackError('PIRACK_ERR_LAB', `cannot read the lab state: ${(err as Error).message}`, { cause: err, where: labFiles(dir).state });
  }
  try {
    return JSON.parse(text) as LabState;
  } catch (err) {
    throw pirackError('PIRACK_ERR_LAB', 'the lab state file is not valid JSON', { cause: err, where: labFiles(dir).state });
  }
}

export async function writeState(dir: string, state: LabState): Promise<void> {
  const file = labFiles(dir).state;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}

export async function removeState(dir: string): Promise<void> {
  await rm(labFiles(dir).state, { force: true });
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/** Runs `fn` holding the lab's lock file (bounded wait; a lock older than 30 s is taken as stale). */
export async function withStateLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = labFiles(dir).lock;
  await mkdir(dir, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw pirackError('PIRACK_ERR_LAB', 'timed out waiting for the lab state lock', { where: lock });
      else await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Read-modify-write of the state under the lock; `fn` returns the new state. */
export async function updateState(dir: string, fn: (state: LabState) => LabState): Promise<LabState> {
  return withStateLock(dir, async () => {
    const current = await readState(dir);
    if (!current) throw pirackError('PIRACK_ERR_LAB', 'no lab is up (no state file)', { where: labFiles(dir).state });
    const next = fn(current);
    await writeState(dir, next);
    return next;
  });
}

/** Replaces one Pi's record. */
export function withPi(state: LabState, id: number, fn: (pi: LabPiState) => LabPiState): LabState {
  return { ...state, pis: state.pis.map((p) => (p.id === id ? fn(p) : p)) };
}

export function findPi(state: LabState, id: number): LabPiState {
  const pi = state.pis.find((p) => p.id === id);
  if (!pi) throw pirackError('PIRACK_ERR_USAGE', `the lab has no Pi ${id} (Pis are 1..${state.pis.length})`, { where: `pi ${id}` });
  return pi;
}
