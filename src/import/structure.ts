/** structure_rack.ini: the rack's shape as the original wrote it (format in FACTS.md). */
import { parse } from 'ini';
import type { ImportProblem } from './problem.ts';
import { iniLine } from './problem.ts';

/** One stack section of structure_rack.ini. */
export interface StructureStack {
  /** The section name, e.g. "2" for `[2]`. */
  readonly section: string;
  readonly id: number;
  /** Row and column, 1-based. */
  readonly x: number;
  readonly y: number;
}

/** The rack as structure_rack.ini describes it, after contradictions were settled. */
export interface Structure {
  readonly piStack: number;
  readonly rows: number;
  readonly cols: number;
  readonly stacks: readonly StructureStack[];
}

export interface StructureOptions {
  /**
   * When `nbr_stack` disagrees with the stack sections listed, follow the sections (with a
   * warning) instead of failing. The tool never picks one silently.
   */
  readonly trustSections?: boolean;
}

export interface StructureResult {
  readonly structure?: Structure;
  readonly problems: ImportProblem[];
  readonly warnings: ImportProblem[];
}

export function parseStructure(text: string, file: string, options: StructureOptions = {}): StructureResult {
  const problems: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (err) {
    return {
      problems: [{ file, message: `cannot read the INI: ${(err as Error).message}`, hint: 'Check the file is structure_rack.ini.' }],
      warnings,
    };
  }
  const int = (section: string, key: string, min: number): number | undefined => {
    const values = data[section] as Record<string, unknown> | undefined;
    const raw = values?.[key];
    const line = iniLine(text, section, key) ?? iniLine(text, section);
    if (raw === undefined) {
      problems.push({
        file,
        ...(line ? { line } : {}),
        message: `[${section}] has no ${key}`,
        hint: `Add \`${key} = <number>\` to the [${section}] section.`,
      });
      return undefined;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || String(raw).trim() === '') {
      problems.push({
        file,
        ...(line ? { line } : {}),
        message: `[${section}] ${key} = ${String(raw)} is not a whole number ≥ ${min}`,
        hint: `Write a whole number for ${key}.`,
      });
      return undefined;
    }
    return n;
  };

  if (typeof data['rack'] !== 'object' || data['rack'] === null) {
    return {
      problems: [
        {
          file,
          message: 'there is no [rack] section',
          hint: 'Add [rack] with pi_stack, nbr_stack, rows and cols (see examples/structure_rack.ini).',
        },
      ],
      warnings,
    };
  }
  const piStack = int('rack', 'pi_stack', 1);
  const nbrStack = int('rack', 'nbr_stack', 1);
  const rows = int('rack', 'rows', 1);
  const cols = int('rack', 'cols', 1);

  const sectionNames = Object.keys(data).filter((k) => k !== 'rack' && typeof data[k] === 'object' && data[k] !== null);
  const stackSections = sectionNames.filter((k) => /^\d+$/.test(k));
  for (const other of sectionNames.filter((k) => !/^\d+$/.test(k))) {
    const line = iniLine(text, other);
    warnings.push({
      file,
      ...(line ? { line } : {}),
      message: `section [${other}] is not a stack (stack sections are numbered) and was ignored`,
      hint: 'Remove it, or number it if it is a stack.',
    });
  }

  const stacks: StructureStack[] = [];
  for (const section of stackSections) {
    const id = int(section, 'id', 1);
    const x = int(section, 'x', 1);
    const y = int(section, 'y', 1);
    if (id !== undefined && x !== undefined && y !== undefined) stacks.push({ section, id, x, y });
  }

  if (nbrStack !== undefined && nbrStack !== stackSections.length) {
    const listed = stackSections.map((s) => `[${s}]`).join(', ') || 'none';
    const line = iniLine(text, 'rack', 'nbr_stack');
    const message = `[rack] nbr_stack = ${nbrStack} but ${stackSections.length} stack section${stackSections.length === 1 ? '' : 's'} (${listed}) ${stackSections.length === 1 ? 'is' : 'are'} listed`;
    if (options.trustSections && stackSections.length > 0) {
      warnings.push({
        file,
        ...(line ? { line } : {}),
        message,
        hint: `Following the ${stackSections.length} listed sections (--trust-sections); set nbr_stack = ${stackSections.length} to silence this.`,
      });
    } else {
      problems.push({
        file,
        ...(line ? { line } : {}),
        message,
        hint: `Set nbr_stack = ${stackSections.length} if every listed stack exists, or remove the sections of stacks that do not; or run again with --trust-sections to import the listed sections.`,
      });
    }
  }

  const seenIds = new Map<number, string>();
  const seenCells = new Map<string, number>();
  for (const s of stacks) {
    const line = iniLine(text, s.section);
    const at = line ? { line } : {};
    const prev = seenIds.get(s.id);
    if (prev !== undefined)
      problems.push({
        file,
        ...at,
        message: `[${s.section}] id = ${s.id} is also the id of [${prev}]`,
        hint: 'Give every stack its own id.',
      });
    seenIds.set(s.id, s.section);
    if (rows !== undefined && s.x > rows)
      problems.push({
        file,
        ...at,
        message: `[${s.section}] x = ${s.x} is outside the grid (rows = ${rows})`,
        hint: `Use a row from 1 to ${rows}, or raise rows in [rack].`,
      });
    if (cols !== undefined && s.y > cols)
      problems.push({
        file,
        ...at,
        message: `[${s.section}] y = ${s.y} is outside the grid (cols = ${cols})`,
        hint: `Use a column from 1 to ${cols}, or raise cols in [rack].`,
      });
    const cell = `${s.x},${s.y}`;
    const other = seenCells.get(cell);
    if (other !== undefined)
      problems.push({
        file,
        ...at,
        message: `[${s.section}] stands on x = ${s.x}, y = ${s.y}, like stack ${other}`,
        hint: 'Each grid cell holds one stack; change x or y.',
      });
    seenCells.set(cell, s.id);
  }

  if (problems.length > 0 || piStack === undefined || rows === undefined || cols === undefined) return { problems, warnings };
  return { structure: { piStack, rows, cols, stacks: [...stacks].sort((a, b) => a.id - b.id) }, problems, warnings };
}
