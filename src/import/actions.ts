/**
 * configuration.ini's `[rasps]` and `[stacks]` actions, adapted to run over SSH. The original
 * shipped shell snippets for its UDP slave; the ones PiRack knows are rewritten to what works on
 * a PiRack Pi (the cpu script needed bc and a scripts folder; vcgencmd's path was wrong), and
 * the others are kept as written.
 */
import { parse } from 'ini';
import type { ImportProblem } from './problem.ts';
import { iniLine } from './problem.ts';
import { ownValue } from '../model/lookup.ts';

export interface ImportedAction {
  readonly name: string;
  readonly command: string;
  readonly description?: string;
}

export interface ActionsResult {
  readonly actions: ImportedAction[];
  readonly problems: ImportProblem[];
  readonly warnings: ImportProblem[];
}

const SLAVE = 'node /usr/local/lib/pirack/pirack-slave.js';

/** The original's actions as PiRack runs them. */
export const KNOWN_ACTIONS: Readonly<Record<string, Omit<ImportedAction, 'name'>>> = {
  cpu: { command: `${SLAVE} cpu`, description: 'CPU usage in percent' },
  temperature: { command: `${SLAVE} temperature`, description: 'SoC temperature in °C' },
  ping: { command: 'echo pong', description: 'the Pi answers over SSH' },
};

/**
 * The original's actions that PiRack has built in and supervises, so rack.yaml does not declare
 * them: `Reboot = reboot -f` becomes the built-in reboot (detached from the SSH session, then
 * waited for until the Pi is back and Ready, src/daemon/reboot.ts). A declared `reboot` would
 * replace it with a plain command.
 */
export const BUILTIN_MAPPED: ReadonlySet<string> = new Set(['reboot']);

/** Stack actions the daemon does itself by switching the relay; they are not commands on a Pi. */
const STACK_POWER = new Set(['ping', 'shutdown', 'reboot']);

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function parseActions(text: string, file: string): ActionsResult {
  const problems: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (err) {
    return {
      actions: [],
      problems: [{ file, message: `cannot read the INI: ${(err as Error).message}`, hint: 'Check the file is configuration.ini.' }],
      warnings,
    };
  }
  const out = new Map<string, ImportedAction>();
  for (const section of ['rasps', 'stacks'] as const) {
    const entries = data[section];
    if (typeof entries !== 'object' || entries === null) continue;
    for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
      const name = key.toLowerCase();
      const line = iniLine(text, section, key);
      const at = line ? { line } : {};
      if (section === 'stacks' && STACK_POWER.has(name)) continue;
      if (BUILTIN_MAPPED.has(name)) continue;
      if (!NAME.test(name)) {
        problems.push({
          file,
          ...at,
          message: `[${section}] action name "${key}" is not a name PiRack accepts`,
          hint: 'Use letters, digits, _ and -, starting with a letter.',
        });
        continue;
      }
      const known = ownValue(KNOWN_ACTIONS, name);
      const action: ImportedAction = known ? { name, ...known } : { name, command: String(value) };
      if (!known && /^(sh|bash) \.\//.test(String(value))) {
        warnings.push({
          file,
          ...at,
          message: `[${section}] ${key} = ${String(value)} runs a script relative to the ssh user's home`,
          hint: 'Deploy the script as a managed file with an absolute path and point the action at it.',
        });
      }
      const prev = out.get(name);
      if (prev && prev.command !== action.command) {
        problems.push({
          file,
          ...at,
          message: `action ${name} is declared twice with different commands ("${prev.command}" and "${action.command}")`,
          hint: 'Keep one; [stacks] actions other than ping, shutdown and reboot run on every Pi of the stack.',
        });
        continue;
      }
      out.set(name, action);
    }
  }
  if (out.size === 0 && problems.length === 0) {
    warnings.push({
      file,
      message: 'no actions found in [rasps] or [stacks]',
      hint: 'The rack.yaml gets the standard actions (cpu, temperature, ping, and the built-in reboot).',
    });
  }
  return { actions: [...out.values()], problems, warnings };
}
