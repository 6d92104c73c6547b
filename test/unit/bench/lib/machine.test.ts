import { describe, expect, it } from 'vitest';
import { cpuModelOf, firstLine, machineInfo, osNameOf, type MachineProbe } from '../../../../bench/lib/machine.ts';

describe('machine info parsing', () => {
  it('reads the CPU model from /proc/cpuinfo', () => {
    expect(cpuModelOf('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n')).toBe('AMD EPYC 7B13');
    expect(cpuModelOf(undefined)).toBe('unknown');
  });

  it('reads the OS name from /etc/os-release', () => {
    expect(osNameOf('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it('keeps the first non-empty line of a version banner', () => {
    expect(firstLine('\nansible-playbook [core 2.14.18]\n  config file = None\n')).toBe('ansible-playbook [core 2.14.18]');
    expect(firstLine(undefined)).toBe('not found');
  });

  it('assembles everything from the injected probe', () => {
    const probe: MachineProbe = {
      readFile: (p) => (p === '/proc/cpuinfo' ? 'model name : Test CPU\n' : 'PRETTY_NAME="TestOS 1"\n'),
      run: (file) =>
        (({ ssh: 'OpenSSH_9.2p1 Debian\n', cdist: 'cdist 7.0.0\n' }) as Record<string, string>)[file] ??
        'ansible-playbook [core 2.14.18]\n',
      cores: () => 2,
      totalMem: () => 2 * 1024 * 1024 * 1024,
      release: () => '6.1.0-test',
      nodeVersion: 'v20.0.0',
      now: () => new Date('2025-01-02T03:04:05Z'),
    };
    expect(machineInfo(probe)).toEqual({
      cpuModel: 'Test CPU',
      cores: 2,
      memoryMB: 2048,
      kernel: '6.1.0-test',
      os: 'TestOS 1',
      node: 'v20.0.0',
      ansible: 'ansible-playbook [core 2.14.18]',
      cdist: 'cdist 7.0.0',
      openssh: 'OpenSSH_9.2p1 Debian',
      date: '2025-01-02T03:04:05.000Z',
    });
  });
});
