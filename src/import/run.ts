/**
 * `pirack import`: the original's files in, a rack.yaml that passes validation out. Nothing is
 * written unless every input was read without problems and the result validates.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseRack } from '../config/load.ts';
import type { ImportProblem } from './problem.ts';
import { parseStructure } from './structure.ts';
import { parseInventory, type InventoryPi } from './inventory.ts';
import { parseActions, type ImportedAction } from './actions.ts';
import { buildRack, type BuiltRack } from './build.ts';
import { renderRack } from './render.ts';
import { AlreadyExistsError, writeFileAtomic } from './write.ts';

export interface ImportOptions {
  /** structure_rack.ini */
  readonly structure: string;
  /** dict_rasps.csv */
  readonly inventory?: string;
  /** configuration.ini */
  readonly actions?: string;
  /** Where to write rack.yaml; `-` means standard output. */
  readonly out: string;
  readonly force?: boolean;
  /** Follow the listed stack sections when nbr_stack disagrees (with a warning). */
  readonly trustSections?: boolean;
  readonly relay?: 'onoff' | 'manual';
  /** Relay pins for stacks beyond the original's four, or to replace them. */
  readonly pins?: Readonly<Record<number, number>>;
  readonly name?: string;
}

/** File access for the importer; tests swap it. */
export interface ImportIo {
  readonly readFile: (path: string) => Promise<string>;
  readonly writeFile: (path: string, text: string, overwrite: boolean) => Promise<void>;
}

export interface ImportReport {
  readonly ok: boolean;
  readonly problems: readonly ImportProblem[];
  readonly warnings: readonly ImportProblem[];
  /** The rack.yaml text, when it validated. */
  readonly text?: string;
  readonly stacks?: number;
  readonly pis?: number;
}

const defaultIo: ImportIo = { readFile: (p) => readFile(p, 'utf8'), writeFile: writeFileAtomic };

export async function runImport(opts: ImportOptions, io: ImportIo = defaultIo): Promise<ImportReport> {
  const problems: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return await io.readFile(file);
    } catch (err) {
      problems.push({
        file,
        message: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        hint: 'Check the path.',
      });
      return undefined;
    }
  };
  const [structureText, inventoryText, actionsText] = await Promise.all([
    read(opts.structure),
    opts.inventory !== undefined ? read(opts.inventory) : Promise.resolve(undefined),
    opts.actions !== undefined ? read(opts.actions) : Promise.resolve(undefined),
  ]);
  if (problems.length > 0 || structureText === undefined) return { ok: false, problems, warnings };

  const structure = parseStructure(structureText, opts.structure, { trustSections: opts.trustSections ?? false });
  problems.push(...structure.problems);
  warnings.push(...structure.warnings);

  let inventory: InventoryPi[] | undefined;
  if (opts.inventory !== undefined && inventoryText !== undefined) {
    const parsed = parseInventory(inventoryText, opts.inventory);
    problems.push(...parsed.problems);
    inventory = parsed.pis;
  }

  let actions: ImportedAction[] = [];
  if (opts.actions !== undefined && actionsText !== undefined) {
    const parsed = parseActions(actionsText, opts.actions);
    problems.push(...parsed.problems);
    warnings.push(...parsed.warnings);
    actions = parsed.actions;
  }
  if (problems.length > 0 || !structure.structure) return { ok: false, problems, warnings };

  const built = buildRack({
    name: opts.name ?? 'pirack',
    structure: structure.structure,
    structureFile: opts.structure,
    ...(inventory && opts.inventory !== undefined ? { inventory: { file: opts.inventory, pis: inventory } } : {}),
    actions,
    relayDriver: opts.relay ?? 'onoff',
    ...(opts.pins ? { pins: opts.pins } : {}),
  });
  problems.push(...built.problems);
  warnings.push(...built.warnings);
  if (!built.rack) return { ok: false, problems, warnings };

  const sources = [opts.structure, opts.inventory, opts.actions].filter((s): s is string => s !== undefined).map((s) => basename(s));
  const text = renderRack(built.rack, sources);
  const outName = opts.out === '-' ? 'rack.yaml' : opts.out;
  const check = parseRack(text, {
    sourcePath: outName,
    baseDir: dirname(resolve(outName)),
    // Only the shape matters here: the builtin exists in every pirack, and the daemon key is the master's business.
    resolveBuiltin: (name) => (name === 'pirack-slave' ? '' : undefined),
    readPublicKey: () => undefined,
    requireKey: false,
  });
  if (!check.ok) {
    for (const p of check.problems) problems.push(traceBack(p, built.rack, inventory, opts, outName));
    return { ok: false, problems, warnings };
  }

  const pis = built.rack.stacks.reduce((n, s) => n + s.pis.length, 0);
  if (opts.out !== '-') {
    try {
      await io.writeFile(opts.out, text, opts.force ?? false);
    } catch (err) {
      if (err instanceof AlreadyExistsError) {
        problems.push({
          file: opts.out,
          message: 'already exists; nothing was written',
          hint: 'Choose another --out, or add --force to replace it.',
        });
      } else {
        problems.push({
          file: opts.out,
          message: `cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
          hint: 'Check the folder exists and is writable.',
        });
      }
      return { ok: false, problems, warnings, text };
    }
  }
  return { ok: true, problems, warnings, text, stacks: built.rack.stacks.length, pis };
}

/** A validation problem in the generated text is reported against the input line it came from. */
function traceBack(
  p: { path: string; line: number; column: number; message: string; hint: string },
  rack: BuiltRack,
  inventory: readonly InventoryPi[] | undefined,
  opts: ImportOptions,
  outName: string,
): ImportProblem {
  const m = /^\/stacks\/(\d+)\/pis\/(\d+)/.exec(p.path);
  const pi = m ? rack.stacks[Number(m[1])]?.pis[Number(m[2])] : undefined;
  const source = pi && inventory ? inventory.find((i) => i.id === pi.id && i.ip === pi.ip) : undefined;
  if (source && opts.inventory !== undefined) {
    return { file: opts.inventory, line: source.line, message: `Pi ${source.id}: ${p.message}`, hint: p.hint };
  }
  return {
    file: `${outName} (generated)`,
    line: p.line,
    message: p.message,
    hint: `${p.hint} The input files lead to this; fix them and import again.`,
  };
}
