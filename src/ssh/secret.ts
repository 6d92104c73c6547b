/**
 * A password that cannot leak by accident: JSON.stringify, util.inspect, String() and pino all
 * print '[redacted]'. Only `reveal()` gives the value, at the one place it is sent to a Pi.
 */
import { readFile } from 'node:fs/promises';
import { pirackError } from '../errors.ts';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself; call it only where it leaves the process (the SSH password request). */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/**
 * Reads a password file named in rack.yaml (`ssh.bootstrap.passwordFile`, `ssh.sudo.passwordFile`): its
 * first line, without the newline editors add. Throws CONFIG_READ naming the file, never its content.
 */
export async function readSecretFile(path: string, what = 'bootstrap password'): Promise<Secret> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw pirackError('PIRACK_ERR_CONFIG_READ', `cannot read the ${what} file: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, {
      where: path,
    });
  }
  const value = text.split(/\r?\n/, 1)[0] ?? '';
  if (value === '') throw pirackError('PIRACK_ERR_CONFIG_READ', `the ${what} file is empty`, { where: path });
  return new Secret(value);
}
