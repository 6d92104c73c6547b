import { describe, expect, it } from 'vitest';
import { journalLine, syslogPriority } from '../../../src/log-journal.ts';
import { stateDirectoryName, systemdQuote, unitText } from '../../../src/master/files.ts';

describe('the unit file', () => {
  it('quotes every argument so systemd neither splits nor expands it', () => {
    expect(systemdQuote('/etc/pi rack/rack.yaml')).toBe('"/etc/pi rack/rack.yaml"');
    expect(systemdQuote('a"b\\c$HOME%n')).toBe('"a\\"b\\\\c$$HOME%%n"');
  });

  it('needs a state dir under /var/lib (StateDirectory=)', () => {
    expect(stateDirectoryName('/var/lib/pirack')).toBe('pirack');
    expect(stateDirectoryName('/var/lib/racks/one/')).toBe('racks/one');
    expect(stateDirectoryName('/srv/pirack')).toBeUndefined();
    expect(() => unitText({ node: 'n', bin: 'b', daemonArgs: [], stateDir: '/srv/x', workDir: '/etc/pirack' })).toThrow(
      /not under \/var\/lib/,
    );
  });
});

describe('journald lines', () => {
  it('maps pino levels to syslog priorities', () => {
    expect([10, 20, 30, 40, 50, 60].map(syslogPriority)).toEqual([7, 7, 6, 4, 3, 2]);
    expect(journalLine('{"level":50,"msg":"x"}\n')).toBe('<3>{"level":50,"msg":"x"}\n');
    expect(journalLine('{"level":40,"msg":"x"}\n')).toBe('<4>{"level":40,"msg":"x"}\n');
    expect(journalLine('not json\n')).toBe('<6>not json\n');
  });
});
