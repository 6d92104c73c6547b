// Worker entry of analyseInWorker when PiRack runs from its TypeScript sources (a checkout):
// registers tsx in this thread, as src/cli/pirack.mjs does for the main one, then loads the
// real entry. An installed package runs dist/…/analyse-worker.js directly, with no tsx.
import { register } from 'tsx/esm/api';

register();
await import('./analyse-worker.ts');
