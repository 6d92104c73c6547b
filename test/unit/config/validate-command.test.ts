import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runValidate, validateCommand } from '../../../src/cli/commands/validate.ts';
import { FAKE_KEY } from './fixtures.ts';

const REPO_RACK = fileURLToPath(new URL('../../../rack.yaml', import.meta.url));
const fakeLoadDeps = { resolveBuiltin: () => '// slave\n' };

async function run(rack: string, extra: { json?: boolean; requireKey?: boolean } = {}, key?: string) {
  let out = '';
  const code = await runValidate({ rack, ...extra }, { out: (t) => (out += t), load: { ...fakeLoadDeps, readPublicKey: () => key } });
  return { code, out };
}

describe('pirack validate', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('prints a summary for the committed rack.yaml and exits 0', async () => {
    const { code, out } = await run(REPO_RACK, {}, FAKE_KEY);
    expect(code).toBe(0);
    expect(out).toMatch(/rack\.yaml: ok \(4 stacks, 48 Pis, revision sha256:[0-9a-f]{12}\)\n$/);
  });

  it('warns about a missing daemon key but still passes, unless --require-key', async () => {
    const lenient = await run(REPO_RACK);
    expect(lenient.code).toBe(0);
    expect(lenient.out).toMatch(/rack\.yaml:\d+:\d+: warning: the daemon's public key \/var\/lib\/pirack\/id_ed25519\.pub does not exist/);
    expect(lenient.out).toContain('ssh-keygen -t ed25519');
    const strict = await run(REPO_RACK, { requireKey: true });
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('1 problem; nothing was applied.');
  });

  it('prints every problem as file:line:col with its hint and exits 1', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-validate-'));
    const file = join(dir, 'rack.yaml');
    writeFileSync(file, 'apiVersion: pirack/v1\nname: x\ngrid: { rows: 0, cols: 1 }\n');
    const { code, out } = await run(file, {}, FAKE_KEY);
    expect(code).toBe(1);
    expect(out).toMatch(/rack\.yaml:3:15: grid\.rows 0 is out of range: it must be at least 1\n {4}Use a value at least 1\./);
    expect(out).toContain('is missing "network"');
    expect(out).toMatch(/4 problems; nothing was applied\.\n$/);
  });

  it('--json prints a machine-readable result', async () => {
    const { code, out } = await run(REPO_RACK, { json: true }, FAKE_KEY);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, stacks: 4, pis: 48, problems: [], warnings: [] });
  });

  it('registers --rack, --json, --allow-source and --require-key', () => {
    const names = validateCommand().options.map((o) => o.long);
    expect(names).toEqual(['--rack', '--json', '--allow-source', '--require-key']);
  });
});
