/**
 * Running as root through sudo, for a login user that is not root (stock Raspberry Pi OS: the
 * user Raspberry Pi Imager created, no root login). Every command of a connection whose user is
 * not root is wrapped here, the probe included, so it stays one round trip.
 *
 * The password never appears on a command line or in a log: it is the first line of the exec's
 * stdin, which the login shell reads into a variable; sudo gets it through SUDO_ASKPASS, with
 * `printenv` as the askpass program and the variable's name as the prompt (sudo runs the askpass
 * program with the prompt as its only argument). The rest of stdin (file contents) reaches the
 * command untouched, because sudo never reads stdin in askpass mode, and NOPASSWD sudo simply
 * never asks. Without a password, `sudo -n` fails at once instead of waiting for one.
 *
 * The command prints a mark on stderr as its first act as root. No mark means sudo itself
 * refused: the command never ran, so nothing changed, and the refusal becomes SUDO_AUTH or
 * SUDO_DENIED rather than a failed step.
 */
import { pirackError, type PiRackError } from '../errors.ts';
import { shellQuote } from './quote.ts';
import type { ExecResult } from './types.ts';

/** The line the wrapped command writes to stderr once sudo let it run; stripped from results. */
export const SUDO_MARK = '@@pirack:sudo-ok';
/** Shell variable (and askpass prompt) carrying the password on the Pi. */
const PASSWORD_VAR = 'PIRACK_SUDO_PW';

/**
 * The shell text that runs `command` (a script for /bin/sh) as root. With `withPassword`, the
 * exec's stdin must start with the password line (`sudoStdin`).
 */
export function sudoCommand(command: string, withPassword: boolean): string {
  const inner = `printf '%s\\n' ${SUDO_MARK} >&2\nunset ${PASSWORD_VAR}\n${command}`;
  const run = `-- /bin/sh -c ${shellQuote(inner)}`;
  if (!withPassword) return `exec sudo -n ${run}`;
  return [
    `IFS= read -r ${PASSWORD_VAR} || exit 97`,
    `export ${PASSWORD_VAR}`,
    'SUDO_ASKPASS=/usr/bin/printenv',
    'export SUDO_ASKPASS',
    `exec sudo -A -p ${PASSWORD_VAR} ${run}`,
  ].join('; ');
}

/** The password line, then whatever the command itself reads. */
export function sudoStdin(password: string, stdin: string | Buffer | undefined): Buffer {
  const head = Buffer.from(`${password}\n`, 'utf8');
  if (stdin === undefined) return head;
  return Buffer.concat([head, typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin]);
}

export interface SudoContext {
  /** "pi 3 (10.0.0.3)": where the error happened. */
  readonly where: string;
  readonly user: string;
  /** Whether a password was offered to sudo. */
  readonly withPassword: boolean;
}

/**
 * The command's own result with sudo's chatter (lecture, host-name warnings) and the mark cut off
 * stderr; throws SUDO_AUTH or SUDO_DENIED when sudo refused and the command never ran.
 */
export function sudoResult(result: ExecResult, ctx: SudoContext): ExecResult {
  const markLine = `${SUDO_MARK}\n`;
  const at = result.stderr.indexOf(markLine);
  if (at >= 0) return { ...result, stderr: result.stderr.slice(at + markLine.length) };
  throw sudoRefusal(result, ctx);
}

/** Why sudo refused, from its messages (sudo 1.9: Debian 12 and Raspberry Pi OS Bookworm). */
export function sudoRefusal(result: Pick<ExecResult, 'exitCode' | 'stderr'>, ctx: SudoContext): PiRackError {
  const said = lastLines(result.stderr);
  const { where, user } = ctx;
  if (result.exitCode === 127 || /sudo: (command )?not found|sudo: No such file/i.test(result.stderr)) {
    return pirackError('PIRACK_ERR_SUDO_DENIED', `sudo is not installed, and user ${user} is not root: ${said}`, { where });
  }
  if (/not in the sudoers file|is not allowed to (run sudo|execute)|may not run sudo/i.test(result.stderr)) {
    return pirackError('PIRACK_ERR_SUDO_DENIED', `user ${user} may not use sudo: ${said}`, { where });
  }
  if (/a password is required|a terminal is required/i.test(result.stderr)) {
    const message = ctx.withPassword
      ? `sudo asked user ${user} for a password it could not be given: ${said}`
      : `sudo wants user ${user}'s password and none is configured (ssh.sudo.passwordFile): ${said}`;
    return pirackError('PIRACK_ERR_SUDO_AUTH', message, { where });
  }
  if (/incorrect password|Sorry, try again|no password was provided|Authentication failure/i.test(result.stderr)) {
    return pirackError('PIRACK_ERR_SUDO_AUTH', `sudo refused user ${user}'s password: ${said}`, { where });
  }
  return pirackError(
    'PIRACK_ERR_SUDO_DENIED',
    `sudo did not run the command as user ${user} (exit ${result.exitCode}): ${said || 'no message'}`,
    {
      where,
    },
  );
}

function lastLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.slice(-2).join(' | ').slice(0, 300);
}
