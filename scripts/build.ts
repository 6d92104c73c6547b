/**
 * `npm run build`: dist/ holds everything an installed pirack runs, so it needs neither tsx nor
 * esbuild. In order:
 *   1. tsc emits the TypeScript of src/, controllers/ and bench/ as JavaScript (tsconfig.build.json;
 *      `.ts` import specifiers become `.js`). No type check here: `npm run typecheck` does that.
 *   2. The files those modules read at run time beside themselves (dashboard, *.txt lists, the
 *      bench's Ansible files, the schema) are copied to the same place under dist/.
 *   3. The slave is bundled once (src/slave/bundle.ts), rack.yaml's schema is compiled to standalone
 *      ajv code (src/config/rack-validator.ts) and the commands' help lines are listed
 *      (src/cli/main.ts), each next to the module that reads it.
 *   4. The command line is bundled into dist/cli/ (scripts/bundle-cli.ts): pirack.js, what the
 *      `pirack` bin runs, and one chunk per lazily loaded command, so a call loads a few files.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PREBUILT_SLAVE, buildSlave } from '../src/slave/bundle.ts';
import { GENERATED_VALIDATOR, rackValidatorSource } from '../src/config/rack-validator.ts';
import { COMMAND_MANIFEST, commandManifest } from '../src/cli/main.ts';
import { BUNDLE_DIR, bundleCli } from './bundle-cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// `--out-dir DIR` builds elsewhere (scripts/pack.ts stages a package without touching ./dist).
const outFlag = process.argv.indexOf('--out-dir');
const DIST = outFlag > 0 && process.argv[outFlag + 1] ? resolve(process.argv[outFlag + 1]!) : join(ROOT, 'dist');

/** Source trees whose non-TypeScript files are run-time assets, and what of them is not. */
const TREES = ['src', 'controllers', 'bench'];
const NOT_ASSETS = new Set(['.ts', '.mjs', '.md']);
const SKIPPED = new Set(['bench/results.json', 'bench/runs', 'bench/last-run.log']);

function assets(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (SKIPPED.has(rel)) continue;
    if (entry.isDirectory()) found.push(...assets(rel));
    else if (entry.isFile() && !NOT_ASSETS.has(extname(entry.name))) found.push(rel);
  }
  return found;
}

/** Where the build writes a file that a source module names beside itself. */
function inDist(sourcePath: string): string {
  return join(DIST, relative(ROOT, sourcePath));
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const emitted = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', DIST], {
  stdio: 'inherit',
});
if (emitted.status !== 0) {
  process.stderr.write('build: tsc failed; dist/ is incomplete\n');
  process.exit(1);
}
const copied = [...TREES.flatMap(assets), 'schemas/rack.schema.json'];
for (const file of copied) cpSync(join(ROOT, file), join(DIST, file));
write(inDist(PREBUILT_SLAVE), buildSlave());
write(inDist(GENERATED_VALIDATOR), rackValidatorSource());
write(inDist(COMMAND_MANIFEST), `${JSON.stringify(await commandManifest(), null, 2)}\n`);
await bundleCli(DIST);
process.stdout.write(
  `build: ${relative(process.cwd(), DIST) || '.'}/ ready (${copied.length} assets, slave bundle, schema validator, command list, ${BUNDLE_DIR}/ bundle)\n`,
);
