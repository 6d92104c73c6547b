import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src/ssh/quote.ts';

/** What a real POSIX shell splits the command line into: the proof that quoting round-trips. */
function shellWords(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const nasty = [
  'plain',
  'with space',
  "it's",
  "''",
  '"double"',
  'line1\nline2',
  '$(touch /tmp/pirack-pwned)',
  '`id`',
  '$HOME',
  'a;b|c&d',
  '*',
  '\\',
  '',
  ' leading',
  'tab\there',
  'ünïcödé',
];

describe('shellQuote', () => {
  it('leaves safe words alone', () => {
    expect(shellQuote('bc')).toBe('bc');
    expect(shellQuote('/usr/local/lib/pirack/pirack-slave.js')).toBe('/usr/local/lib/pirack/pirack-slave.js');
    expect(shellQuote('key=value,x:y@z%1+2')).toBe('key=value,x:y@z%1+2');
  });

  it("single-quotes everything else and writes a quote as '\\''", () => {
    expect(shellQuote('with space')).toBe("'with space'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(shellQuote('a\nb')).toBe("'a\nb'");
  });

  it.each(nasty)('round-trips %j through /bin/sh', (arg) => {
    expect(shellWords(shellQuote(arg))).toEqual([arg]);
  });
});

describe('shellCommand', () => {
  it('keeps every argument one word, empty ones included', () => {
    expect(shellWords(shellCommand(nasty))).toEqual(nasty);
  });

  it('joins with spaces', () => {
    expect(shellCommand(['apt-get', 'install', '-y', 'bc'])).toBe('apt-get install -y bc');
    expect(shellCommand(['echo', 'a b'])).toBe("echo 'a b'");
  });
});
