/**
 * Node id → MAC bindings learnt by enlistment, kept in `<stateDir>/bindings.json` (written
 * atomically) so they survive daemon restarts. A MAC pinned in rack.yaml always wins over a
 * binding: the binding is only consulted for Pis rack.yaml gives no MAC.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';
import type { RackSpec } from '../model/desired.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { normalizeMac, type HostEntry } from './hosts.ts';

export interface Binding {
  readonly mac: string;
  /** The stack the Pi was enlisted from. */
  readonly stack: number;
  /** ISO time it was bound. */
  readonly boundAt: string;
}

/** Node id → binding. */
export type Bindings = Readonly<Record<number, Binding>>;

interface BindingsFile {
  readonly version: 1;
  readonly bindings: Bindings;
}

export function bindingsPath(stateDir: string): string {
  return join(stateDir, 'bindings.json');
}

/** Reads the bindings; none when the file does not exist. A corrupt file is a STATE error, never silently emptied. */
export async function readBindings(stateDir: string): Promise<Bindings> {
  const path = bindingsPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw pirackError('PIRACK_ERR_STATE', `cannot read ${path}: ${(e as Error).message}`, { cause: e, where: path });
  }
  try {
    const parsed = JSON.parse(text) as BindingsFile;
    if (parsed.version !== 1 || typeof parsed.bindings !== 'object' || parsed.bindings === null) throw new Error('unexpected layout');
    const out: Record<number, Binding> = {};
    for (const [id, b] of Object.entries(parsed.bindings)) {
      if (typeof b?.mac !== 'string' || typeof b.stack !== 'number') throw new Error(`bad entry for node ${id}`);
      out[Number(id)] = { mac: normalizeMac(b.mac), stack: b.stack, boundAt: String(b.boundAt) };
    }
    return out;
  } catch (cause) {
    throw pirackError(
      'PIRACK_ERR_STATE',
      `${path} is not a PiRack bindings file (${(cause as Error).message}); fix or remove it and enlist again`,
      {
        cause,
        where: path,
      },
    );
  }
}

export async function writeBindings(stateDir: string, bindings: Bindings, options: { noSync?: boolean } = {}): Promise<void> {
  const sorted: Record<number, Binding> = {};
  for (const id of Object.keys(bindings)
    .map(Number)
    .sort((a, b) => a - b))
    sorted[id] = bindings[id] as Binding;
  const file: BindingsFile = { version: 1, bindings: sorted };
  await writeFileAtomic(bindingsPath(stateDir), `${JSON.stringify(file, null, 2)}\n`, {
    mode: 0o644,
    ...(options.noSync ? { noSync: true } : {}),
  });
}

/** Removes a node's binding (a replaced Pi) so it is enlisted again. Returns the MAC released, if any. */
export async function releaseBinding(stateDir: string, node: number, options: { noSync?: boolean } = {}): Promise<string | undefined> {
  const bindings = await readBindings(stateDir);
  const old = bindings[node];
  if (!old) return undefined;
  const rest: Record<number, Binding> = { ...bindings };
  delete rest[node];
  await writeBindings(stateDir, rest, options);
  return old.mac;
}

/**
 * Each node's MAC: rack.yaml's when pinned, else the binding's; nodes with neither are absent. A
 * binding whose MAC rack.yaml pins on another node is ignored (rack.yaml wins), so that node is
 * enlisted again rather than two Pis claiming one address.
 */
export function effectiveMacs(rack: RackSpec, bindings: Bindings): Map<number, string> {
  const macs = new Map<number, string>();
  for (const node of rack.nodes) if (node.mac !== undefined) macs.set(node.id, normalizeMac(node.mac));
  if (macs.size === rack.nodes.length) return macs;
  const pinned = new Set(macs.values());
  for (const node of rack.nodes) {
    if (node.mac !== undefined) continue;
    const bound = bindings[node.id]?.mac;
    if (bound !== undefined && !pinned.has(bound)) macs.set(node.id, bound);
  }
  return macs;
}

/** Node ids with no MAC from either source, by stack. */
export function unboundByStack(
  rack: RackSpec,
  bindings: Bindings,
  macs: ReadonlyMap<number, string> = effectiveMacs(rack, bindings),
): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const stack of rack.stacks) {
    const ids = stack.nodes
      .filter((n) => !macs.has(n.id))
      .map((n) => n.id)
      .sort((a, b) => a - b);
    if (ids.length > 0) out.set(stack.id, ids);
  }
  return out;
}

/** The static DHCP entries for every node whose MAC is known. */
export function hostEntries(
  rack: RackSpec,
  bindings: Bindings,
  macs: ReadonlyMap<number, string> = effectiveMacs(rack, bindings),
): (HostEntry & { readonly node: number })[] {
  return rack.nodes.flatMap((n) => {
    const mac = macs.get(n.id);
    return mac === undefined ? [] : [{ mac, ip: n.ip, node: n.id }];
  });
}

/** What enlistment derives from rack.yaml and the bindings: each Pi's MAC, the hosts-file entries and the unbound Pis. */
export interface MacView {
  readonly macs: ReadonlyMap<number, string>;
  readonly entries: readonly (HostEntry & { readonly node: number })[];
  readonly unbound: ReadonlyMap<number, readonly number[]>;
}

// The desired state is frozen and a bindings object is replaced, never changed, so the view is a
// pure function of the two objects: the rack key plans every pass, and at 5,000 Pis working it
// out again each time was most of the pass.
const macViews = new WeakMap<RackSpec, WeakMap<Bindings, MacView>>();

/** The MAC view for this rack.yaml and these bindings, worked out once per pair. */
export function macView(rack: RackSpec, bindings: Bindings): MacView {
  let byBindings = macViews.get(rack);
  if (!byBindings) macViews.set(rack, (byBindings = new WeakMap()));
  let view = byBindings.get(bindings);
  if (!view) {
    const macs = effectiveMacs(rack, bindings);
    view = { macs, entries: hostEntries(rack, bindings, macs), unbound: unboundByStack(rack, bindings, macs) };
    byBindings.set(bindings, view);
  }
  return view;
}
