import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_ENV, ensureAdminToken, generateToken } from '../../../../src/http/auth/admin-token.ts';
import { isPiRackError } from '../../../../src/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pirack-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureAdminToken', () => {
  it('creates a 32-byte base64url token 0600 on first start and reports it as created only then', async () => {
    const stateDir = join(dir, 'state');
    const first = await ensureAdminToken({ stateDir, env: {} });
    expect(first.created).toBe(true);
    expect(first.source).toBe('state');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = join(stateDir, 'admin-token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.token);

    const second = await ensureAdminToken({ stateDir, env: {} });
    expect(second).toEqual({ token: first.token, source: 'state', created: false });
  });

  it('prefers the environment over the state dir, and an explicit file over both', async () => {
    const fromEnv = 'env-token-0123456789abcdef';
    const env = { [ADMIN_TOKEN_ENV]: ` ${fromEnv}\n` };
    await expect(ensureAdminToken({ stateDir: dir, env })).resolves.toEqual({ token: fromEnv, source: 'env', created: false });
    const tokenFile = join(dir, 'given');
    await writeFile(tokenFile, 'file-token-0123456789abcdef\n');
    await expect(ensureAdminToken({ stateDir: dir, env, tokenFile })).resolves.toEqual({
      token: 'file-token-0123456789abcdef',
      source: 'file',
      created: false,
    });
  });

  it('refuses a token too short to resist guessing, saying where it came from', async () => {
    const error = await ensureAdminToken({ stateDir: dir, env: { [ADMIN_TOKEN_ENV]: 'short' } }).catch((e: unknown) => e);
    expect(isPiRackError(error) && error.code).toBe('PIRACK_ERR_USAGE');
    expect(isPiRackError(error) && error.where).toBe(ADMIN_TOKEN_ENV);
  });

  it('reports a missing token file as a state error naming the path, not as a new token', async () => {
    const tokenFile = join(dir, 'missing');
    const error = await ensureAdminToken({ stateDir: dir, env: {}, tokenFile }).catch((e: unknown) => e);
    expect(isPiRackError(error) && error.code).toBe('PIRACK_ERR_STATE');
    expect(isPiRackError(error) && error.where).toBe(tokenFile);
  });

  it('generates a different token each time', () => {
    expect(generateToken()).not.toBe(generateToken());
  });
});
