// Preloaded with `node --import ./test/support/record-imports.mjs`: every module URL the ES module
// loader resolves is appended, one a line, to the file named by PIRACK_RECORD_IMPORTS. Tests use it
// to check what a command loads (lazy commands: `pirack --help` must not load fastify or the lab).
import { register } from 'node:module';

const file = process.env.PIRACK_RECORD_IMPORTS;
if (file) register('./record-imports-hooks.mjs', { parentURL: import.meta.url, data: { file } });
