/** The admin API of a daemon an e2e test serves (`serveDaemon`), with its bearer token. */
import type { RunningDaemon } from '../../src/daemon/serve.ts';
import type { StatusReport } from '../../src/model/status.ts';

export type DaemonApi = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; body: T }>;

/** `running()` is read at each call: the test may restart its daemon. */
export function daemonApi(running: () => RunningDaemon): DaemonApi {
  return async <T>(method: 'GET' | 'POST', path: string, body?: unknown) => {
    const daemon = running();
    const response = await fetch(new URL(path, daemon.url), {
      method,
      headers: { authorization: `Bearer ${daemon.token!.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}

/** Every Pi of `ids` has Ready=True in the report. */
export function allReady(report: StatusReport, ids: readonly number[]): boolean {
  return ids.every((id) => report.nodes.find((n) => n.id === id)?.conditions.find((c) => c.type === 'Ready')?.status === 'True');
}
