/** The command line loads one command's module per run, and its help still lists every command. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, buildProgram, commandManifest, commandNamed } from '../../../src/cli/main.ts';

const BUILT_MANIFEST = fileURLToPath(new URL('../../../dist/src/cli/commands.json', import.meta.url));

describe('lazy commands', () => {
  it('finds the command a command line names, `help X` included', () => {
    expect(commandNamed(['node', 'pirack', 'validate', '--rack', 'r.yaml'])).toBe('validate');
    expect(commandNamed(['node', 'pirack', '--help'])).toBeUndefined();
    expect(commandNamed(['node', 'pirack', 'help', 'lab'])).toBe('lab');
    expect(commandNamed(['node', 'pirack', 'frobnicate'])).toBeUndefined();
    expect(commandNamed(['node', 'pirack', 'constructor'])).toBeUndefined();
  });

  it('lists every command, in order, with what each module says about itself', async () => {
    const manifest = await commandManifest();
    expect(manifest.map((c) => c.name)).toEqual(COMMAND_NAMES);
    const validate = manifest.find((c) => c.name === 'validate')!;
    expect(validate.term).toBe('validate [options]');
    expect(validate.description).toMatch(/rack\.yaml/);
  });

  it('loads the named command for real', async () => {
    const program = await buildProgram(['validate']);
    const validate = program.commands.find((c) => c.name() === 'validate')!;
    expect(validate.options.map((o) => o.long)).toContain('--rack');
  });

  // Only a built checkout has a dist/ to be stale; `npm run build` rewrites it.
  it.runIf(existsSync(BUILT_MANIFEST))('dist/ lists the commands as the sources describe them (rerun `npm run build` if not)', async () => {
    expect(JSON.parse(readFileSync(BUILT_MANIFEST, 'utf8'))).toEqual(await commandManifest());
  });
});
