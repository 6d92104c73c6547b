import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalLine, syslogPriority } from '../../../src/log-journal.ts';
import { stateDirectoryName, systemdPath, systemdQuote, unitText } from '../../../src/master/files.ts';

describe('the unit file', () => {
  it('quotes every argument so systemd neither splits nor expands it', () => {
    expect(systemdQuote('/etc/pi rack/rack.yaml')).toBe('"/etc/pi rack/rack.yaml"');
    expect(systemdQuote('a"b\\c$HOME%n')).toBe('"a\\"b\\\\c$$HOME%%n"');
  });

  it('is a unit systemd accepts (systemd-analyze verify), with a working directory that has a space and a %', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pirack unit %-'));
    try {
      const bin = join(dir, 'pirack.mjs');
      writeFileSync(bin, '');
      const unit = join(dir, 'pirack.service');
      writeFileSync(
        unit,
        unitText({
          node: process.execPath,
          bin,
          daemonArgs: ['daemon', '--rack', join(dir, 'rack.yaml')],
          stateDir: '/var/lib/pirack',
          workDir: dir,
        }),
      );
      // Throws (exit 1, "bad unit file setting") when systemd refuses a setting.
      const out = execFileSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).not.toMatch(/not absolute|bad unit file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a path setting unquoted, specifiers escaped, and refuses one that would end the line', () => {
    expect(systemdPath('/etc/pi rack/100%')).toBe('/etc/pi rack/100%%');
    expect(() => systemdPath('/etc/pirack\nExecStartPre=/bin/rm -rf /')).toThrow(/control characters/);
    expect(() => systemdPath('etc/pirack')).toThrow(/absolute/);
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
