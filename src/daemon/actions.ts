/**
 * The original's actions, run by the master over SSH instead of by an unauthenticated UDP slave:
 * cpu, temperature, ping and reboot are built in (none needs bc); rack.yaml `actions` add more or
 * replace a built-in by name. A stack or the whole rack fans out to every Pi (the original could
 * not act on the whole rack).
 */
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import { isPiRackError } from '../errors.ts';
import type { SshRunner } from '../ssh/types.ts';
import { ownValue } from '../model/lookup.ts';

export interface ActionOutcome {
  readonly node: number;
  readonly ok: boolean;
  /** First line of the output, as the original answered. */
  readonly data: string;
}

/** CPU % from two /proc/stat samples half a second apart, computed by awk: no bc needed. */
const CPU =
  'a=$(head -n1 /proc/stat); sleep 0.5; b=$(head -n1 /proc/stat); printf \'%s\\n%s\\n\' "$a" "$b" | awk \'{t=0; for(i=2;i<=9;i++) t+=$i; busy=t-$5-$6; if (NR==1){t1=t;b1=busy} else {printf "%.1f\\n", (busy-b1)*100/(t-t1)}}\'';
const TEMPERATURE =
  'if [ -r /sys/class/thermal/thermal_zone0/temp ]; then awk \'{printf "%.1f\\n", $1/1000}\' /sys/class/thermal/thermal_zone0/temp; elif command -v vcgencmd >/dev/null; then vcgencmd measure_temp; else echo unavailable; fi';
/**
 * Detached so the command returns before the connection drops (the original's reboot crashed its
 * slave): setsid puts it in its own session, so the SSH session closing does not take it along.
 * Supervised by src/daemon/reboot.ts, which sees the Pi go down and come back.
 */
export const REBOOT = "nohup setsid sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 < /dev/null & echo rebooting";

export const BUILTIN_ACTIONS: Readonly<Record<string, string>> = { cpu: CPU, temperature: TEMPERATURE, ping: 'echo pong', reboot: REBOOT };

/** Built-ins that take a Pi away for a while: run rolling (src/daemon/rolling.ts). */
const DISRUPTIVE_BUILTINS = new Set(['reboot']);

/** Whether the action takes a Pi away (reboot, or a declared action with `disruptive: true`). */
export function isDisruptive(rack: RackSpec, name: string): boolean {
  const declared = rack.actions.find((a) => a.name === name);
  return declared ? declared.disruptive === true || name === 'reboot' : DISRUPTIVE_BUILTINS.has(name);
}

/**
 * What a `cpu` or `temperature` answer measured, for the Pi's resource: `12.5`, `45.2`, or
 * vcgencmd's `temp=45.2'C`. Anything else (a failure, "unavailable", another action) is nothing.
 */
export function measurementOf(
  action: string,
  outcome: Pick<ActionOutcome, 'ok' | 'data'>,
): { cpuPercent: number } | { temperatureC: number } | undefined {
  if (!outcome.ok) return undefined;
  const m = /^(?:temp=)?(-?\d{1,3}(?:\.\d+)?)(?:'C|°C| ?%)?$/.exec(outcome.data.trim());
  const value = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(value)) return undefined;
  const name = action.toLowerCase();
  if (name === 'cpu' && value >= 0 && value <= 100) return { cpuPercent: value };
  if (name === 'temperature' && value > -60 && value < 150) return { temperatureC: value };
  return undefined;
}

export function actionNames(rack: RackSpec): string[] {
  return [...new Set([...Object.keys(BUILTIN_ACTIONS), ...rack.actions.map((a) => a.name)])].sort();
}

export function actionCommand(rack: RackSpec, name: string): string | undefined {
  return rack.actions.find((a) => a.name === name)?.command ?? ownValue(BUILTIN_ACTIONS, name);
}

export async function runActionOn(
  ssh: SshRunner,
  rack: RackSpec,
  nodes: readonly NodeSpec[],
  name: string,
  signal?: AbortSignal,
): Promise<ActionOutcome[]> {
  const command = actionCommand(rack, name);
  if (command === undefined) throw new Error(`unknown action ${name}`);
  const limit = Math.max(1, rack.ssh.concurrency);
  const outcomes: ActionOutcome[] = [];
  const queue = [...nodes];
  const worker = async (): Promise<void> => {
    for (let node = queue.shift(); node; node = queue.shift()) {
      const started = Date.now();
      try {
        const result = await ssh.exec({ node: node.id, host: node.ip, port: rack.ssh.port }, command, {
          timeoutMs: 30_000,
          ...(signal ? { signal } : {}),
        });
        const firstLine = (result.stdout.trim().split('\n')[0] ?? '').trim();
        const data =
          name === 'ping' && result.exitCode === 0 ? `${Date.now() - started} ms` : firstLine || result.stderr.trim().split('\n')[0] || '';
        outcomes.push({ node: node.id, ok: result.exitCode === 0, data });
        if (name === 'reboot' && result.exitCode === 0) ssh.forget(node.id);
      } catch (err) {
        outcomes.push({ node: node.id, ok: false, data: isPiRackError(err) ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, nodes.length) }, worker));
  return outcomes.sort((a, b) => a.node - b.node);
}
