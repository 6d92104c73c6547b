import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KNOWN_ACTIONS, parseActions } from '../../../src/import/actions.ts';

const SAMPLE = readFileSync(new URL('../../../examples/configuration.ini', import.meta.url), 'utf8');

describe('parseActions', () => {
  it('adapts the original actions to SSH and leaves stack power actions to the daemon', () => {
    const r = parseActions(SAMPLE, 'configuration.ini');
    expect(r.problems).toEqual([]);
    expect(r.actions).toEqual(['cpu', 'temperature', 'ping'].map((name) => ({ name, ...KNOWN_ACTIONS[name] })));
  });

  it('keeps unknown actions verbatim and warns about relative scripts', () => {
    const r = parseActions('[rasps]\nuptime = uptime -p\ndisk = sh ./scripts/disk.sh\n[stacks]\nload = cat /proc/loadavg\n', 'c.ini');
    expect(r.actions).toEqual([
      { name: 'uptime', command: 'uptime -p' },
      { name: 'disk', command: 'sh ./scripts/disk.sh' },
      { name: 'load', command: 'cat /proc/loadavg' },
    ]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 3, message: expect.stringContaining("relative to the ssh user's home") })]);
  });

  it('reports an action declared twice with different commands, and bad names', () => {
    const r = parseActions('[rasps]\nload = uptime\n[stacks]\nload = cat /proc/loadavg\n9lives = x\n', 'c.ini');
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '4: action load is declared twice with different commands ("uptime" and "cat /proc/loadavg")',
      '5: [stacks] action name "9lives" is not a name PiRack accepts',
    ]);
  });
});
