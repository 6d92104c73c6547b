/**
 * The daemon's runs of actions and upgrades: each started at once in the background (the API
 * answers 202 with its id), its progress kept as a RunReport, every change told on the event
 * stream (kind `run`, so the dashboard's live view and `pirack run` follow it), the last ones
 * kept in memory for GET /api/v1/runs/:id. One disruptive run at a time: two rolls at once
 * could take down more Pis than either allows.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RackEventInput } from '../reconcile/controller.ts';
import { executeRunSteps, type PreparedRun, type RunDeps, type RunReport } from './rolling.ts';

const KEPT = 50;

export class RunRegistry {
  private readonly runs = new Map<string, RunReport>();
  private readonly controllers = new Map<string, AbortController>();

  constructor(private readonly deps: { readonly log: Logger; readonly emit: (event: RackEventInput) => void }) {}

  /** The disruptive run in progress, if any. */
  activeDisruptive(): RunReport | undefined {
    return [...this.runs.values()].find((r) => r.disruptive && r.state === 'running');
  }

  /** Starts the run; resolves its first report at once, `done` when it ends. */
  start(run: PreparedRun, runDeps: RunDeps): { report: RunReport; done: Promise<RunReport> } {
    const id = randomUUID();
    const abort = new AbortController();
    this.controllers.set(id, abort);
    let lastStates = '';
    const onProgress = (report: RunReport) => {
      this.runs.set(id, report);
      const states = report.pis.map((p) => `${p.state}/${p.phase ?? ''}`).join(',') + report.state;
      if (states === lastStates) return;
      lastStates = states;
      const counts = (['ok', 'failed', 'running', 'pending', 'skipped'] as const)
        .map((s) => [s, report.pis.filter((p) => p.state === s).length] as const)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      this.deps.emit({
        kind: 'run',
        target: report.target,
        message: `${report.id} ${report.action}: ${report.state === 'running' ? counts : report.message}`,
        result: report.state === 'running' ? 'info' : report.state === 'done' ? 'ok' : 'failed',
      });
    };
    const done = executeRunSteps(id, run, runDeps, abort.signal, onProgress)
      .catch((err: unknown) => {
        this.deps.log.error({ err, run: id }, 'run ended early');
        const last = this.runs.get(id)!;
        const ended: RunReport = {
          ...last,
          state: 'failed',
          message: `${last.action}: cancelled (${(err as Error).message})`,
          finishedAt: new Date().toISOString(),
        };
        onProgress(ended);
        return ended;
      })
      .finally(() => {
        this.controllers.delete(id);
        this.trim();
      });
    return { report: this.runs.get(id)!, done };
  }

  get(id: string): RunReport | undefined {
    return this.runs.get(id);
  }

  list(): RunReport[] {
    return [...this.runs.values()].reverse();
  }

  /** Cancels every run (daemon shutdown). */
  stopAll(): void {
    for (const c of this.controllers.values()) c.abort(new Error('the daemon is stopping'));
  }

  private trim(): void {
    while (this.runs.size > KEPT) {
      const oldest = [...this.runs.entries()].find(([, r]) => r.state !== 'running');
      if (!oldest) break;
      this.runs.delete(oldest[0]);
    }
  }
}
