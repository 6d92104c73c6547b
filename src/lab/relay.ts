/**
 * The `lab` relay driver: a stack's relay switches its virtual Pis. On boots those not running;
 * off kills them at once, as a relay cuts power (no clean shutdown). Reads the state file on every
 * call, so a daemon and the `lab` CLI can share one lab.
 */
import type { PowerState } from '../model/desired.ts';
import type { RelayDriver } from '../relay/types.ts';
import { pirackError } from '../errors.ts';
import { hostExec, type Exec } from './exec.ts';
import { labDir } from './paths.ts';
import { isPiRunning } from './pi.ts';
import { powerOff, powerOn } from './power.ts';
import { readState } from './state.ts';

export interface LabRelayOptions {
  /** Lab directory; PIRACK_LAB_DIR or /var/lib/pirack-lab by default. */
  readonly dir?: string;
  readonly exec?: Exec;
}

export function createLabRelay(opts: LabRelayOptions = {}): RelayDriver {
  const dir = opts.dir ?? labDir();
  const exec = opts.exec ?? hostExec;

  const stackPis = async (stack: number): Promise<number[]> => {
    const state = await readState(dir);
    if (!state) throw pirackError('PIRACK_ERR_RELAY', 'the lab is not up (run `pirack lab up`)', { where: `stack ${stack}` });
    const ids = state.pis.filter((p) => p.stack === stack).map((p) => p.id);
    if (ids.length === 0) throw pirackError('PIRACK_ERR_RELAY', `the lab has no stack ${stack}`, { where: `stack ${stack}` });
    return ids;
  };

  return {
    name: 'lab',
    async read(stack: number): Promise<PowerState | 'unknown'> {
      const state = await readState(dir);
      const pis = state?.pis.filter((p) => p.stack === stack) ?? [];
      if (pis.length === 0) return 'unknown';
      const running = await Promise.all(pis.map((p) => isPiRunning(p)));
      return running.some(Boolean) ? 'on' : 'off';
    },
    async set(stack: number, power: PowerState, signal?: AbortSignal): Promise<void> {
      const ids = await stackPis(stack);
      if (signal?.aborted)
        throw pirackError('PIRACK_ERR_ABORTED', `power ${power} of stack ${stack} cancelled`, { where: `stack ${stack}` });
      try {
        // Sequential on purpose: the state file is updated per Pi under a lock anyway, and it
        // mirrors a relay board whose stack comes up together but is recorded one Pi at a time.
        for (const id of ids) {
          if (power === 'on') await powerOn(dir, id, exec);
          else await powerOff(dir, id, exec);
        }
      } catch (err) {
        throw pirackError('PIRACK_ERR_RELAY', `lab relay could not switch stack ${stack} ${power}: ${(err as Error).message}`, {
          cause: err,
          where: `stack ${stack}`,
        });
      }
    },
    async halted(node: number): Promise<boolean> {
      const pi = (await readState(dir))?.pis.find((p) => p.id === node);
      return pi === undefined || !(await isPiRunning(pi));
    },
    async close(): Promise<void> {},
  };
}
