/**
 * Pinned host keys, trust on first use. The first key a Pi shows is recorded; a different key
 * later quarantines the Pi until an operator runs `pirack hostkey repin <pi>`. Kept in
 * `<stateDir>/known-hosts.json`, shared by the daemon and the CLI: every change re-reads the file
 * and writes it back atomically, so one process does not overwrite another's repin.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { keyTypeOf, sha256Fingerprint } from './fingerprint.ts';

export const HOST_KEYS_FILE = 'known-hosts.json';

/** The key a node was first seen with. */
export interface HostKeyPin {
  /** Address the key was seen at when pinned. */
  readonly host: string;
  readonly keyType: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** ISO 8601. */
  readonly pinnedAt: string;
}

/** A different key seen later; while present the node is never connected to. */
export interface HostKeyQuarantine {
  readonly host: string;
  readonly keyType: string;
  readonly fingerprint: string;
  readonly seenAt: string;
}

export interface HostKeyRecord extends HostKeyPin {
  readonly quarantine?: HostKeyQuarantine;
}

/** Outcome of checking the key a node presents during the handshake. */
export type HostKeyVerdict =
  | { readonly kind: 'pinned'; readonly pin: HostKeyPin }
  | { readonly kind: 'match' }
  | { readonly kind: 'mismatch'; readonly pinned: HostKeyPin; readonly seen: HostKeyQuarantine };

/** What the SSH pool and the `hostkey` command need from the pinned keys. */
export interface HostKeyStore {
  /** The file the pins live in. */
  readonly path: string;
  /**
   * Compares `keyBlob` (SSH wire format) with the node's pin: pins it when there is none, records
   * a quarantine on a mismatch. Persisted before it resolves. A quarantined node yields
   * `mismatch` even when it shows the pinned key again, until repinned.
   */
  check(node: number, host: string, keyBlob: Buffer): Promise<HostKeyVerdict>;
  isQuarantined(node: number): boolean;
  get(node: number): HostKeyRecord | undefined;
  /** Every record, by node id. */
  list(): ReadonlyArray<readonly [number, HostKeyRecord]>;
  /** Forgets the node's pin and quarantine so its next contact pins anew; false if there was nothing. */
  repin(node: number): Promise<boolean>;
  /** Re-reads the file: how a daemon learns of a repin made by the CLI. */
  reload(): Promise<void>;
}

export interface HostKeyStoreOptions {
  readonly stateDir: string;
  readonly now?: () => number;
}

interface FileShape {
  readonly version: 1;
  readonly nodes: Record<string, HostKeyRecord>;
}

/** Opens (reads) the store in `stateDir`; a missing file is an empty store, a corrupt one an error. */
export async function openHostKeyStore(options: HostKeyStoreOptions): Promise<HostKeyStore> {
  const store = new FileHostKeyStore(options.stateDir, options.now ?? Date.now);
  await store.reload();
  return store;
}

class FileHostKeyStore implements HostKeyStore {
  readonly path: string;
  #records = new Map<number, HostKeyRecord>();
  // Mutations run one at a time so two connects in this process cannot interleave read-modify-write.
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly stateDir: string,
    readonly now: () => number,
  ) {
    this.path = join(stateDir, HOST_KEYS_FILE);
  }

  async reload(): Promise<void> {
    this.#records = await readRecords(this.path);
  }

  isQuarantined(node: number): boolean {
    return this.#records.get(node)?.quarantine !== undefined;
  }

  get(node: number): HostKeyRecord | undefined {
    return this.#records.get(node);
  }

  list(): ReadonlyArray<readonly [number, HostKeyRecord]> {
    return [...this.#records.entries()].sort((a, b) => a[0] - b[0]);
  }

  check(node: number, host: string, keyBlob: Buffer): Promise<HostKeyVerdict> {
    const fingerprint = sha256Fingerprint(keyBlob);
    const keyType = keyTypeOf(keyBlob);
    return this.#mutate<HostKeyVerdict>((records) => {
      const at = new Date(this.now()).toISOString();
      const existing = records.get(node);
      if (!existing) {
        const pin: HostKeyPin = { host, keyType, fingerprint, pinnedAt: at };
        records.set(node, pin);
        return { verdict: { kind: 'pinned', pin }, changed: true };
      }
      if (existing.fingerprint === fingerprint && !existing.quarantine) return { verdict: { kind: 'match' }, changed: false };
      const seen: HostKeyQuarantine = { host, keyType, fingerprint, seenAt: at };
      const { quarantine: _old, ...pinned } = existing;
      // The first quarantine is kept when the Pi shows its pinned key again: that is not proof enough.
      const quarantine = existing.quarantine ?? seen;
      records.set(node, { ...pinned, quarantine });
      return { verdict: { kind: 'mismatch', pinned, seen }, changed: existing.quarantine === undefined };
    });
  }

  repin(node: number): Promise<boolean> {
    return this.#mutate((records) => {
      const had = records.delete(node);
      return { verdict: had, changed: had };
    });
  }

  #mutate<T>(change: (records: Map<number, HostKeyRecord>) => { verdict: T; changed: boolean }): Promise<T> {
    const run = async (): Promise<T> => {
      const records = await readRecords(this.path);
      const { verdict, changed } = change(records);
      if (changed) await writeRecords(this.stateDir, this.path, records);
      this.#records = records;
      return verdict;
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => undefined);
    return result;
  }
}

async function readRecords(path: string): Promise<Map<number, HostKeyRecord>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw pirackError('PIRACK_ERR_STATE', `cannot read pinned host keys: ${(cause as Error).message}`, { cause, where: path });
  }
  // A corrupt file must stop us: treating it as empty would trust whatever key answers next.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw pirackError('PIRACK_ERR_STATE', `pinned host keys file is not valid JSON: ${(cause as Error).message}`, { cause, where: path });
  }
  if (!isFileShape(parsed)) {
    throw pirackError('PIRACK_ERR_STATE', 'pinned host keys file does not have the expected shape ({"version":1,"nodes":{…}})', {
      where: path,
    });
  }
  const records = new Map<number, HostKeyRecord>();
  for (const [id, record] of Object.entries(parsed.nodes)) {
    const node = Number(id);
    if (!Number.isInteger(node) || !isRecord(record)) {
      throw pirackError('PIRACK_ERR_STATE', `pinned host keys file has an unreadable entry for node "${id}"`, { where: path });
    }
    records.set(node, record);
  }
  return records;
}

async function writeRecords(stateDir: string, path: string, records: Map<number, HostKeyRecord>): Promise<void> {
  const nodes: Record<string, HostKeyRecord> = {};
  for (const [node, record] of [...records.entries()].sort((a, b) => a[0] - b[0])) nodes[String(node)] = record;
  const shape: FileShape = { version: 1, nodes };
  await mkdir(stateDir, { recursive: true }).catch((cause: unknown) => {
    throw pirackError('PIRACK_ERR_STATE', `cannot create state dir: ${(cause as Error).message}`, { cause, where: stateDir });
  });
  await writeFileAtomic(path, `${JSON.stringify(shape, null, 2)}\n`);
}

function isFileShape(value: unknown): value is FileShape {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.version === 1 && typeof v.nodes === 'object' && v.nodes !== null && !Array.isArray(v.nodes);
}

function isRecord(value: unknown): value is HostKeyRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = ['host', 'keyType', 'fingerprint', 'pinnedAt'].every((k) => typeof v[k] === 'string');
  if (!strings) return false;
  if (v.quarantine === undefined) return true;
  const q = v.quarantine as Record<string, unknown> | null;
  return typeof q === 'object' && q !== null && ['host', 'keyType', 'fingerprint', 'seenAt'].every((k) => typeof q[k] === 'string');
}
