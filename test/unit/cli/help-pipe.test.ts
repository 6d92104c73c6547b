import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../src/cli/pirack.mjs', import.meta.url));

describe('`pirack --help | head`', () => {
  it('exits 0 without a stack trace when the reader closes the pipe early', async () => {
    const child = spawn(process.execPath, [BIN, 'replace', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += String(c)));
    // Like `head` that has what it wants: our end is closed before pirack writes its help.
    child.stdout.destroy();
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 30_000);
});
