// Worker entry of analyseInWorker (analyse-in-worker.ts): registers tsx in this thread, as
// src/cli/pirack.mjs does for the main one, then answers one analysis per message.
import { register } from 'tsx/esm/api';
import { parentPort } from 'node:worker_threads';

register();
const { analyseRack } = await import('./load.ts');
parentPort.on('message', ({ text, maxBytes }) => {
  let result;
  try {
    result = analyseRack(text, maxBytes);
  } catch (err) {
    result = { ok: false, problems: [{ path: '', line: 0, column: 0, message: `judging the revision failed: ${err?.message ?? err}`, hint: 'This is a PiRack bug; please report it with the file.' }] };
  }
  parentPort.postMessage(result);
});
parentPort.postMessage('ready');
