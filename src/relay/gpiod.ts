/**
 * Relay through libgpiod's command-line tools, for kernels without sysfs GPIO (Pi 5). Runs
 * `gpioset`/`gpioget`/`gpiodetect` with execFile (no shell) and speaks both syntaxes:
 *
 * - v1: `gpioset [-l] -m exit <chip> <line>=<v>`; v2: `gpioset [-l] -c <chip> -t0 <line>=<v>`.
 *   Both exit right after setting (v1 mode `exit`, v2 a single toggle period of 0). Neither
 *   version promises the level after the process exits, but the Pi's pin controllers keep the last
 *   driven level of a released line; holding a gpioset running instead would die with the daemon
 *   anyway (so a restart would release it just the same) and would make every read-back fail
 *   with EBUSY while it holds the line.
 * - `-l` (active-low) is passed when the board is active-low, so value 1 / `active` = stack ON.
 * - Read-back, v2: `gpioget --as-is` requests the line without reconfiguring it as an input
 *   (a plain gpioget would turn the output into an input and let the relay fall). v1's gpioget
 *   has no such option, so with v1 the driver never calls gpioget: it reports the level it set
 *   itself in this process, and `unknown` before that.
 */
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { pirackError } from '../errors.ts';
import type { PowerState } from '../model/desired.ts';
import type { RelayDriver } from './types.ts';
import { KNOWN_CHIP_LABELS } from './chip.ts';

export interface GpiodRelayOptions {
  /** Stack id → line offset on the chip (rack.yaml relayPin). */
  readonly pins: ReadonlyMap<number, number>;
  readonly activeLow: boolean;
  /** gpiochip label looked up with gpiodetect; the known Pi labels are tried when absent. */
  readonly chipLabel?: string;
  /** Environment for the tools (tests put fake ones first on PATH). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Per-command timeout; default 5 s. */
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

export type GpiodVersion = 1 | 2;

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Parses `gpioset --version` output (`gpioset (libgpiod) v1.6.3`, `gpioset (libgpiod) v2.1`). */
export function parseGpiodVersion(text: string): GpiodVersion | undefined {
  const m = /\bv?(\d+)\.\d+/.exec(text);
  if (!m) return undefined;
  return m[1] === '1' ? 1 : m[1] === '2' ? 2 : undefined;
}

/** Finds the chip name for a label in `gpiodetect` output (`gpiochip0 [pinctrl-rp1] (54 lines)`). */
export function chipFromGpiodetect(text: string, chipLabel?: string): string | undefined {
  const chips = [...text.matchAll(/^(\S+)\s+\[([^\]]*)\]/gm)].map((m) => ({ name: m[1] ?? '', label: m[2] ?? '' }));
  for (const label of chipLabel !== undefined ? [chipLabel] : KNOWN_CHIP_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip.name;
  }
  return undefined;
}

/** argv of gpioset for one line. */
export function gpiosetArgs(version: GpiodVersion, chip: string, line: number, state: PowerState, activeLow: boolean): string[] {
  const value = `${line}=${state === 'on' ? 1 : 0}`;
  const low = activeLow ? ['-l'] : [];
  return version === 1 ? [...low, '-m', 'exit', chip, value] : [...low, '-c', chip, '-t0', value];
}

/** argv of gpioget for a read-back (v2 only, see the file comment). */
export function gpiogetArgs(chip: string, line: number, activeLow: boolean): string[] {
  return [...(activeLow ? ['-l'] : []), '--as-is', '-c', chip, String(line)];
}

/** Reads gpioget v2 output: `"18"=active`, `18=inactive`, or a bare 1/0 (`--numeric`). */
export function parseGpiogetOutput(text: string): PowerState | undefined {
  const t = text.trim();
  const word = t.includes('=') ? t.slice(t.lastIndexOf('=') + 1).trim() : t;
  if (word === 'active' || word === '1') return 'on';
  if (word === 'inactive' || word === '0') return 'off';
  return undefined;
}

export function createGpiodRelay(options: GpiodRelayOptions): RelayDriver {
  const timeout = options.timeoutMs ?? 5000;
  const lastSet = new Map<number, PowerState>();
  let setup: Promise<{ version: GpiodVersion; chip: string }> | undefined;

  const run = (file: string, args: readonly string[], signal?: AbortSignal): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { env: options.env ?? process.env, timeout, ...(signal ? { signal } : {}), encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err) reject(Object.assign(err, { stderr }));
          else resolve({ stdout, stderr });
        },
      );
    });

  const detect = () => {
    setup ??= (async () => {
      const versionOut = await run('gpioset', ['--version']);
      const version = parseGpiodVersion(versionOut.stdout + versionOut.stderr);
      if (version === undefined) throw new Error(`cannot tell the libgpiod version from: ${versionOut.stdout.trim().slice(0, 80)}`);
      const detected = await run('gpiodetect', [])
        .then((r) => chipFromGpiodetect(r.stdout, options.chipLabel))
        .catch(() => undefined);
      if (detected === undefined && options.chipLabel !== undefined) {
        throw new Error(`gpiodetect lists no chip labelled ${options.chipLabel}`);
      }
      const chip = detected ?? 'gpiochip0';
      options.log?.info({ version, chip }, 'libgpiod tools detected');
      return { version, chip };
    })();
    setup.catch(() => (setup = undefined));
    return setup;
  };

  const lineOf = (stack: number): number => {
    const line = options.pins.get(stack);
    if (line === undefined) throw pirackError('PIRACK_ERR_RELAY', `stack ${stack} has no relayPin`, { where: `stack ${stack}` });
    return line;
  };

  const relayError = (stack: number, what: string, cause: unknown) => {
    const stderr = (cause as { stderr?: string }).stderr?.trim();
    const detail = stderr ? `${(cause as Error).message}: ${stderr}` : (cause as Error).message;
    return pirackError('PIRACK_ERR_RELAY', `stack ${stack}: ${what}: ${detail}`, { cause, where: `stack ${stack}` });
  };

  return {
    name: 'gpiod',
    async read(stack) {
      const line = lineOf(stack);
      let tools: { version: GpiodVersion; chip: string };
      try {
        tools = await detect();
      } catch (cause) {
        throw relayError(stack, 'libgpiod tools unusable', cause);
      }
      if (tools.version === 1) return lastSet.get(stack) ?? 'unknown';
      try {
        const out = await run('gpioget', gpiogetArgs(tools.chip, line, options.activeLow));
        return parseGpiogetOutput(out.stdout) ?? 'unknown';
      } catch (cause) {
        options.log?.warn({ stack, err: cause }, 'gpioget read-back failed');
        return 'unknown';
      }
    },
    async set(stack, state, signal) {
      if (signal?.aborted)
        throw pirackError('PIRACK_ERR_ABORTED', `power ${state} of stack ${stack} cancelled`, { where: `stack ${stack}` });
      const line = lineOf(stack);
      try {
        const tools = await detect();
        await run('gpioset', gpiosetArgs(tools.version, tools.chip, line, state, options.activeLow), signal);
        lastSet.set(stack, state);
        options.log?.info({ stack, state }, 'relay switched');
      } catch (cause) {
        throw relayError(stack, `cannot switch ${state}`, cause);
      }
    },
    async close() {
      // Nothing is held: every gpioset has already exited.
    },
  };
}
