import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findHostTool, hostPackages, hostTools, parseHostTools } from '../../../src/deps/host-tools.ts';
import { REQUIRED_TOOLS } from '../../../src/lab/up.ts';
import { shellCommandWords, spawnedPrograms } from '../../support/spawned-programs.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

function trackedSources(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'bench', 'controllers'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.(ts|mts)$/.test(f));
}

describe('the map of host programs to Debian packages', () => {
  it('reads "executable package" lines, a "-" for a package without a program, and refuses anything else', () => {
    expect(parseHostTools('# c\ngit  git # why\n-  fonts-x\n')).toEqual([
      { executable: 'git', package: 'git' },
      { executable: undefined, package: 'fonts-x' },
    ]);
    expect(() => parseHostTools('git\n')).toThrow(/not "executable package"/);
    expect(() => parseHostTools('git git extra\n')).toThrow(/not "executable package"/);
  });

  it('matches a program spawned by absolute path to its entry by name', () => {
    const tools = parseHostTools('dnsmasq dnsmasq-base\n/usr/bin/python3 python3\n');
    expect(findHostTool('/usr/sbin/dnsmasq', tools)?.package).toBe('dnsmasq-base');
    expect(findHostTool('python3', tools)?.package).toBe('python3');
    expect(findHostTool('cdist', tools)).toBeUndefined();
  });

  it('includes the benchmark contenders that a fresh machine lacks', () => {
    expect(hostPackages()).toEqual(expect.arrayContaining(['ansible', 'sshpass', 'cdist']));
  });

  it('finds programs in spawn calls, argv tuples, argv builders, ip netns exec and sh -c strings', () => {
    const source = [
      "spawn('git', ['status']);",
      "await mustExec(exec, 'losetup', ['-d', dev]);",
      "return ['sshpass', ['-f', file, 'ssh', host]];",
      "spawnDetached('/bin/sh', inCgroupsArgv(c, 'systemd-nspawn', args), log);",
      "exec('ip', ['netns', 'exec', ns, 'iptables', '-S']);",
      "exec('sh', ['-c', 'cd \"$1\" && dpkg-scanpackages . /dev/null | gzip', 'sh', dir]);",
      "const CHROMIUM = process.env.X ?? '/usr/bin/chromium'; chromium.launch({ executablePath: CHROMIUM });",
      "ssh.exec(target, 'apt-get install bc');",
    ].join('\n');
    const programs = spawnedPrograms('x.ts', source).map((p) => p.program);
    expect(programs).toEqual(
      expect.arrayContaining(['git', 'losetup', 'sshpass', 'systemd-nspawn', 'iptables', 'dpkg-scanpackages', 'gzip', '/usr/bin/chromium']),
    );
    // A command sent to a Pi over SSH is the Pi's, not the host's.
    expect(programs).not.toContain('apt-get');
    expect(shellCommandWords('command -v "$1"; echo ok')).toEqual([]);
  });

  it('has an entry for every program that src/, test/, bench/ and the lab start on the host', () => {
    const tools = hostTools();
    const missing: string[] = [];
    let seen = 0;
    for (const file of trackedSources()) {
      for (const { program, line } of spawnedPrograms(file, readFileSync(`${ROOT}${file}`, 'utf8'))) {
        seen++;
        if (!findHostTool(program, tools)) missing.push(`${program} (${file}:${line})`);
      }
    }
    for (const tool of REQUIRED_TOOLS) if (!findHostTool(tool, tools)) missing.push(`${tool} (src/lab/up.ts REQUIRED_TOOLS)`);
    expect(seen).toBeGreaterThan(30);
    expect(missing, 'add these to src/deps/host-tools.txt with their Debian package').toEqual([]);
  });
});
