/**
 * An in-process daemon on the virtual rack for the watch-stream tests (e2e and bench share it):
 * captured log lines, revisions offered as a git source would, status lookups, and bounded
 * waits that say what they waited for.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../../src/daemon/daemon.ts';
import { labExec } from '../../src/lab/index.ts';
import type { Condition, ConditionType, NodeStatus } from '../../src/model/status.ts';
import { captureLog } from './captured-log.ts';
import { waitUntil } from './wait.ts';

export interface LiveDaemon {
  readonly daemon: Daemon;
  readonly logLines: string[];
  offer(rack: Record<string, unknown>): Promise<string>;
  node(id: number): NodeStatus;
  condition(id: number, type: ConditionType): Condition | undefined;
  isReady(id: number): boolean;
  waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, every?: number): Promise<T>;
  close(): Promise<void>;
}

export function startLiveDaemon(stateDir: string, options: { readonly watchStream?: boolean } = {}): LiveDaemon {
  const { log, lines: logLines } = captureLog();
  const daemon = new Daemon({ stateDir, log, ...(options.watchStream === false ? { watchStream: false } : {}) });
  const work = mkdtempSync(join(stateDir, 'live-'));
  let revision = 0;
  const node = (id: number): NodeStatus => {
    const found = daemon.status().nodes.find((n) => n.id === id);
    if (!found) throw new Error(`pi ${id} is not in the status report`);
    return found;
  };
  const condition = (id: number, type: ConditionType) => node(id).conditions.find((c) => c.type === type);
  return {
    daemon,
    logLines,
    async offer(rack) {
      revision += 1;
      const path = join(work, `rack-r${revision}.yaml`);
      const text = stringify(rack, { lineWidth: 0 });
      writeFileSync(path, text);
      await daemon.offer({ revision: `r${revision}`, text, path });
      if (daemon.status().rack.lastAppliedRevision !== `r${revision}`)
        throw new Error(`revision r${revision} was not applied: ${daemon.status().rack.revisionErrors.join('; ')}`);
      return `r${revision}`;
    },
    node,
    condition,
    isReady: (id) => condition(id, 'Ready')?.status === 'True',
    waitFor: (what, ms, probe, every = 100) =>
      waitUntil(what, ms, probe, {
        every,
        context: () =>
          `${daemon
            .status()
            .nodes.map((n) => `pi ${n.id}: ${n.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ')}`)
            .join('\n')}\n--- log tail ---\n${logLines.slice(-30).join('\n')}`,
      }),
    close: () => daemon.close(),
  };
}

/** Runs `cmd` inside a Pi; its trimmed stdout, or an error with its stderr. */
export async function onPi(pi: number, cmd: string): Promise<string> {
  const r = await labExec(pi, cmd);
  if (r.code !== 0) throw new Error(`\`${cmd}\` on pi ${pi} exited ${r.code}: ${r.stderr}`);
  return `${r.stdout}`.trim();
}

/** Whether `cmd` exits 0 inside the Pi. */
export async function okOnPi(pi: number, cmd: string): Promise<boolean> {
  return (await labExec(pi, cmd)).code === 0;
}

/** Milliseconds from now until `check` holds, polled every `every` ms; undefined when it did not within `ms`. */
export async function msUntil(ms: number, check: () => Promise<boolean> | boolean, every = 100): Promise<number | undefined> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) return undefined;
    await new Promise((done) => setTimeout(done, every));
  }
}
