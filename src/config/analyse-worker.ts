/**
 * Worker entry of analyseInWorker (analyse-in-worker.ts): answers one analysis per message.
 * From dist/ it runs as compiled JavaScript; from a checkout analyse-worker-dev.mjs registers
 * tsx in the thread first.
 */
import { parentPort } from 'node:worker_threads';
import { analyseRack } from './load.ts';

const port = parentPort;
if (!port) throw new Error('analyse-worker runs only as a worker thread (see analyse-in-worker.ts)');
port.on('message', ({ text, maxBytes }: { text: string; maxBytes: number }) => {
  let result;
  try {
    result = analyseRack(text, maxBytes);
  } catch (err) {
    result = {
      ok: false,
      problems: [
        {
          path: '',
          line: 0,
          column: 0,
          message: `judging the revision failed: ${(err as Error)?.message ?? String(err)}`,
          hint: 'This is a PiRack bug; please report it with the file.',
        },
      ],
    };
  }
  port.postMessage(result);
});
port.postMessage('ready');
