import { describe, expect, it } from 'vitest';
import { deleteLabNetwork, ensureSafetyRoutes, listLabLinks, piNetCommands } from '../../../src/lab/network.ts';
import type { Exec } from '../../../src/lab/exec.ts';

function fakeExec(outputs: Record<string, string>): { exec: Exec; calls: string[] } {
  const calls: string[] = [];
  const exec: Exec = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    return { code: 0, stdout: outputs[line] ?? '', stderr: '' };
  };
  return { exec, calls };
}

describe('lab network', () => {
  it('wires a Pi: netns, veth with its MAC inside, eth0 and lo up, host end on the bridge', () => {
    expect(piNetCommands(3)).toEqual([
      ['netns', 'add', 'pirack-pi3'],
      ['link', 'add', 'prv3', 'type', 'veth', 'peer', 'name', 'prv3p', 'address', 'b8:27:eb:00:00:03', 'netns', 'pirack-pi3'],
      ['-n', 'pirack-pi3', 'link', 'set', 'prv3p', 'name', 'eth0'],
      ['-n', 'pirack-pi3', 'link', 'set', 'lo', 'up'],
      ['-n', 'pirack-pi3', 'link', 'set', 'eth0', 'up'],
      ['link', 'set', 'prv3', 'master', 'pirack-br0', 'up'],
    ]);
  });

  it('adds only the safety routes that are missing', async () => {
    const { exec, calls } = fakeExec({ 'ip route show': 'default via 192.0.2.1 dev eth0 \nunreachable 10.0.0.0/8 \n' });
    expect(await ensureSafetyRoutes(exec, 'nameserver 10.255.255.53\n')).toEqual([
      'ip route add 10.255.255.53/32 via 192.0.2.1 dev eth0',
      'ip route add unreachable 172.16.0.0/12',
      'ip route add unreachable 192.168.0.0/16',
    ]);
    expect(calls).not.toContain('ip route add unreachable 10.0.0.0/8');
    expect(calls).toContain('ip route add unreachable 192.168.0.0/16');
  });

  it('finds and deletes only links and namespaces with the lab prefixes, the bridge last', async () => {
    const links = [
      '1: lo: <LOOPBACK,UP> mtu 65536',
      '2: eth0: <BROADCAST> mtu 1500',
      '5: pirack-br0: <BROADCAST> mtu 1500',
      '7: prv1@if6: <BROADCAST> mtu 1500',
      '9: prvate0: <BROADCAST> mtu 1500',
      '10: docker0: <BROADCAST> mtu 1500',
    ].join('\n');
    const { exec, calls } = fakeExec({ 'ip -o link show': links, 'ip netns list': 'pirack-pi1 (id: 0)\nother-ns\n' });
    expect(await listLabLinks(exec)).toEqual(['pirack-br0', 'prv1']);
    const report = await deleteLabNetwork(exec);
    expect(report.netns).toEqual(['pirack-pi1']);
    const deletions = calls.filter((c) => c.includes(' del '));
    expect(deletions).toEqual(['ip netns del pirack-pi1', 'ip link del prv1', 'ip link del pirack-br0']);
  });
});
