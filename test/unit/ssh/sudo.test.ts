import { describe, expect, it } from 'vitest';
import { SUDO_MARK, sudoCommand, sudoRefusal, sudoResult, sudoStdin } from '../../../src/ssh/sudo.ts';

const ctx = { where: 'pi 3 (10.0.0.3)', user: 'pi', withPassword: true };

describe('sudoCommand', () => {
  it('quotes the whole command once and never holds a password', () => {
    const cmd = sudoCommand(`echo 'a' "$HOME"`, true);
    expect(cmd).toContain('exec sudo -A -p PIRACK_SUDO_PW -- /bin/sh -c ');
    expect(cmd).toContain(`'\\''a'\\''`);
    expect(sudoCommand('true', false)).toMatch(/^exec sudo -n -- \/bin\/sh -c /);
  });

  it('puts the password line before the command’s own stdin', () => {
    expect(sudoStdin('pw', 'data\n').toString()).toBe('pw\ndata\n');
    expect(sudoStdin('pw', Buffer.from([1, 2])).equals(Buffer.from([0x70, 0x77, 0x0a, 1, 2]))).toBe(true);
    expect(sudoStdin('pw', undefined).toString()).toBe('pw\n');
  });
});

describe('sudoResult', () => {
  it('cuts everything up to the mark off stderr', () => {
    const res = sudoResult({ exitCode: 2, stdout: 'x', stderr: `lecture\n${SUDO_MARK}\nreal error\n`, durationMs: 1 }, ctx);
    expect(res).toEqual({ exitCode: 2, stdout: 'x', stderr: 'real error\n', durationMs: 1 });
  });

  it('without the mark, the command never ran: a refusal', () => {
    expect(() => sudoResult({ exitCode: 1, stdout: '', stderr: 'sudo: 3 incorrect password attempts\n', durationMs: 1 }, ctx)).toThrow(
      expect.objectContaining({ code: 'PIRACK_ERR_SUDO_AUTH' }),
    );
  });
});

describe('sudoRefusal', () => {
  const cases: [string, number, string, string][] = [
    ['Sorry, try again.\nsudo: 3 incorrect password attempts', 1, 'PIRACK_ERR_SUDO_AUTH', "refused user pi's password"],
    ['pi is not in the sudoers file.', 1, 'PIRACK_ERR_SUDO_DENIED', 'may not use sudo'],
    ['Sorry, user pi is not allowed to execute /bin/sh as root on raspberrypi.', 1, 'PIRACK_ERR_SUDO_DENIED', 'may not use sudo'],
    ['bash: line 1: sudo: command not found', 127, 'PIRACK_ERR_SUDO_DENIED', 'sudo is not installed'],
    ['sudo: a password is required', 1, 'PIRACK_ERR_SUDO_AUTH', 'could not be given'],
    ['something else', 1, 'PIRACK_ERR_SUDO_DENIED', 'did not run the command'],
  ];
  it.each(cases)('%s → %s', (stderr, exitCode, code, message) => {
    const err = sudoRefusal({ exitCode, stderr }, ctx);
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
    expect(err.where).toBe('pi 3 (10.0.0.3)');
  });

  it('says which setting is missing when no password was configured', () => {
    expect(sudoRefusal({ exitCode: 1, stderr: 'sudo: a password is required' }, { ...ctx, withPassword: false }).message).toContain(
      'ssh.sudo.passwordFile',
    );
  });
});
