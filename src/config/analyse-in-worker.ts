/**
 * analyseRack off the main thread, with limits. The daemon judges every new revision this way:
 * whatever a committed rack.yaml holds, parsing it can neither stall the loop that serves
 * /healthz, reconciles the last good revision and handles SIGTERM, nor take the process down.
 * A worker that runs past `timeoutMs` is terminated and one past its heap limit dies alone;
 * both become a clear problem of that revision.
 */
import { Worker } from 'node:worker_threads';
import type { RackAnalysis } from './load.ts';
import { maxRackBytes } from './read-limited.ts';

export interface WorkerLimits {
  /** Time for the analysis itself, once the worker is up. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Time for the worker to start (it compiles the TypeScript sources). Default 60000 ms. */
  readonly startTimeoutMs?: number;
  /** The worker's heap. Default 256 MiB: a valid 1 MiB rack.yaml needs a few tens. */
  readonly maxOldGenerationSizeMb?: number;
  readonly maxBytes?: number;
}

// Compiled (dist/), this module is a .js file beside the compiled worker entry; from the
// sources it is .ts, and the worker needs tsx registered first.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./analyse-worker-dev.mjs', import.meta.url)
  : new URL('./analyse-worker.js', import.meta.url);

const failed = (message: string, hint: string): RackAnalysis => ({
  ok: false,
  problems: [{ path: '', line: 0, column: 0, message, hint }],
});

export function analyseInWorker(text: string, limits: WorkerLimits = {}): Promise<RackAnalysis> {
  const timeoutMs = limits.timeoutMs ?? 5000;
  const maxOld = limits.maxOldGenerationSizeMb ?? 256;
  return new Promise((resolve) => {
    const worker = new Worker(ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: maxOld, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: RackAnalysis) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const arm = (ms: number, result: RackAnalysis) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish(result), ms);
    };
    arm(
      limits.startTimeoutMs ?? 60_000,
      failed(
        'the worker that judges revisions did not start',
        "Check the master's load and memory; the last good revision stays in force.",
      ),
    );
    worker.on('message', (message: unknown) => {
      if (message === 'ready') {
        arm(
          timeoutMs,
          failed(
            `judging the revision took longer than ${timeoutMs} ms and was stopped`,
            'rack.yaml needs milliseconds to judge; look for a huge or machine-generated section.',
          ),
        );
        worker.postMessage({ text, maxBytes: limits.maxBytes ?? maxRackBytes() });
      } else {
        finish(message as RackAnalysis);
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      finish(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? failed(
              `judging the revision needed more than ${maxOld} MiB and was stopped`,
              'rack.yaml needs a few MiB to judge; look for a huge or machine-generated section.',
            )
          : failed(`judging the revision failed: ${err.message}`, 'The last good revision stays in force.'),
      );
    });
    worker.on('exit', (code) =>
      finish(failed(`the worker judging the revision exited (${code})`, 'The last good revision stays in force.')),
    );
  });
}
