/**
 * Where the admin token comes from. Precedence: an explicit file (`--admin-token-file`), then the
 * environment (`PIRACK_ADMIN_TOKEN`), then `<stateDir>/admin-token`, created on first start. Only
 * a freshly created token is handed back as `created`, so the daemon can print it exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../../errors.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const ADMIN_TOKEN_ENV = 'PIRACK_ADMIN_TOKEN';
/** Shorter tokens are refused: they could be guessed despite the login rate limit. */
export const MIN_TOKEN_LENGTH = 16;

export interface AdminTokenOptions {
  readonly stateDir: string;
  /** `--admin-token-file`: read, never written. */
  readonly tokenFile?: string;
  /** Defaults to process.env; tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The token and where it came from. Never log this object. */
export interface AdminToken {
  readonly token: string;
  readonly source: 'file' | 'env' | 'state';
  /** True only on the start that created `<stateDir>/admin-token`: print the token then, never again. */
  readonly created: boolean;
}

/** 32 random bytes, base64url: 43 characters safe in headers, cookies and shells. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function ensureAdminToken(options: AdminTokenOptions): Promise<AdminToken> {
  const env = options.env ?? process.env;
  if (options.tokenFile !== undefined) {
    return { token: checked(await readToken(options.tokenFile), options.tokenFile), source: 'file', created: false };
  }
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { token: checked(fromEnv.trim(), ADMIN_TOKEN_ENV), source: 'env', created: false };
  }
  const path = join(options.stateDir, ADMIN_TOKEN_FILE);
  try {
    return { token: checked(await readToken(path), path), source: 'state', created: false };
  } catch (error) {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw error;
  }
  const token = generateToken();
  await writeNew(options.stateDir, path, token);
  return { token, source: 'state', created: true };
}

async function readToken(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (cause) {
    throw pirackError('PIRACK_ERR_STATE', `cannot read the admin token file: ${(cause as Error).message}`, { where: path, cause });
  }
}

function checked(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw pirackError('PIRACK_ERR_USAGE', `the admin token must be at least ${MIN_TOKEN_LENGTH} characters long`, { where });
  }
  return token;
}

async function writeNew(dir: string, path: string, token: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // 'wx' with mode 0600: never readable by others, not even for an instant, and never clobbers a
    // token another process created meanwhile.
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${token}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw pirackError('PIRACK_ERR_STATE', `cannot create the admin token file: ${(cause as Error).message}`, { where: path, cause });
  }
}
