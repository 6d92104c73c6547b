/**
 * Puts the original's files together into a rack: stacks and grid from structure_rack.ini, Pis
 * from dict_rasps.csv or numbered as the original's installer did, relay pins as it wired them.
 */
import type { ImportProblem } from './problem.ts';
import type { Structure } from './structure.ts';
import type { InventoryPi } from './inventory.ts';
import type { ImportedAction } from './actions.ts';

/** The original's network (FACTS.md). */
export const ORIGINAL_NETWORK = {
  subnet: '192.168.23.0/24',
  master: '192.168.23.11',
  gateway: '192.168.23.1',
  dynamicRange: ['192.168.23.200', '192.168.23.250'] as const,
  /** Fixed IPs were handed out from .70 upward. */
  firstFixed: 70,
  lastFixed: 199,
  prefix: '192.168.23.',
};

/** BCM GPIO line of each stack's relay on the original's board. */
export const ORIGINAL_PINS: Readonly<Record<number, number>> = { 1: 18, 2: 25, 3: 12, 4: 21 };

export interface BuildInput {
  readonly name: string;
  readonly structure: Structure;
  readonly structureFile: string;
  /** Pis from dict_rasps.csv; when absent, `pi_stack` Pis per stack with fixed IPs from .70. */
  readonly inventory?: { readonly file: string; readonly pis: readonly InventoryPi[] };
  readonly actions: readonly ImportedAction[];
  /** `onoff` needs a pin per stack; `manual` asks a person to switch stacks. */
  readonly relayDriver: 'onoff' | 'manual';
  /** Pins for stacks the original did not wire (or to replace its pins). */
  readonly pins?: Readonly<Record<number, number>>;
}

export interface BuiltPi {
  readonly id: number;
  readonly ip: string;
  readonly mac?: string;
}

export interface BuiltStack {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly relayPin?: number;
  readonly pis: readonly BuiltPi[];
}

/** Everything render needs; the rest of rack.yaml is the standard defaults. */
export interface BuiltRack {
  readonly name: string;
  readonly grid: { readonly rows: number; readonly cols: number };
  readonly relayDriver: 'onoff' | 'manual';
  readonly stacks: readonly BuiltStack[];
  readonly actions: readonly ImportedAction[];
}

export interface BuildResult {
  readonly rack?: BuiltRack;
  readonly problems: ImportProblem[];
  readonly warnings: ImportProblem[];
}

export function buildRack(input: BuildInput): BuildResult {
  const problems: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const { structure } = input;
  const pins = { ...ORIGINAL_PINS, ...input.pins };

  const pisByStack = new Map<number, BuiltPi[]>(structure.stacks.map((s) => [s.id, []]));
  if (input.inventory) {
    const { file } = input.inventory;
    const known = structure.stacks.map((s) => s.id).join(', ');
    for (const pi of input.inventory.pis) {
      const list = pisByStack.get(pi.stack);
      if (!list) {
        problems.push({
          file,
          line: pi.line,
          message: `Pi ${pi.id} is in stack ${pi.stack}, which ${input.structureFile} does not list (stacks: ${known})`,
          hint: `Add a [${pi.stack}] section to ${input.structureFile}, or fix the stack column of this line.`,
        });
        continue;
      }
      list.push({ id: pi.id, ip: pi.ip, mac: pi.mac });
    }
    for (const s of structure.stacks) {
      const n = pisByStack.get(s.id)!.length;
      if (n !== structure.piStack) {
        warnings.push({
          file,
          message: `stack ${s.id} has ${n} Pi${n === 1 ? '' : 's'} in the inventory but pi_stack = ${structure.piStack}`,
          hint:
            n < structure.piStack
              ? 'The missing Pis can be added later; enlistment finds their MACs.'
              : `Check pi_stack in ${input.structureFile}.`,
        });
      }
      pisByStack.get(s.id)!.sort((a, b) => a.id - b.id);
    }
  } else {
    let id = 1;
    let host = ORIGINAL_NETWORK.firstFixed;
    for (const s of structure.stacks) {
      for (let k = 0; k < structure.piStack; k++, id++, host++) {
        if (host > ORIGINAL_NETWORK.lastFixed) {
          problems.push({
            file: input.structureFile,
            message: `${structure.stacks.length} stacks of ${structure.piStack} Pis do not fit in the fixed addresses .${ORIGINAL_NETWORK.firstFixed}–.${ORIGINAL_NETWORK.lastFixed}`,
            hint: 'Import with --inventory, or lower pi_stack / nbr_stack.',
          });
          return { problems, warnings };
        }
        pisByStack.get(s.id)!.push({ id, ip: `${ORIGINAL_NETWORK.prefix}${host}` });
      }
    }
  }

  const stacks: BuiltStack[] = structure.stacks.map((s) => {
    const pin = input.relayDriver === 'onoff' ? pins[s.id] : undefined;
    if (input.relayDriver === 'onoff' && pin === undefined) {
      problems.push({
        file: input.structureFile,
        message: `stack ${s.id} has no relay pin: the original wired only stacks 1–4 (BCM GPIO 18, 25, 12, 21)`,
        hint: `Give its BCM GPIO line with --pins ${s.id}=<line>, or use --relay manual (a person switches the stacks when asked).`,
      });
    }
    return { id: s.id, x: s.x, y: s.y, ...(pin !== undefined ? { relayPin: pin } : {}), pis: pisByStack.get(s.id) ?? [] };
  });

  if (problems.length > 0) return { problems, warnings };
  return {
    rack: {
      name: input.name,
      grid: { rows: structure.rows, cols: structure.cols },
      relayDriver: input.relayDriver,
      stacks,
      actions: input.actions,
    },
    problems,
    warnings,
  };
}
