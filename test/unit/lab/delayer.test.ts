import { describe, expect, it } from 'vitest';
import { DELAYER_PY, delayRule, lossRule } from '../../../src/lab/delayer.ts';
import { nsenterArgs } from '../../../src/lab/pi-exec.ts';
import { nspawnArgs } from '../../../src/lab/pi.ts';

describe('fault plumbing', () => {
  it('queues outgoing packets with a bypass so a dead delayer never blackholes the Pi', () => {
    expect(delayRule('-A')).toEqual(['-A', 'OUTPUT', '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
    expect(delayRule('-D', 2)).toContain('-D');
    expect(DELAYER_PY).toContain('NETLINK_NETFILTER');
  });

  it('drops the requested share of incoming packets', () => {
    expect(lossRule('-A', 30)).toEqual(['-A', 'INPUT', '-m', 'statistic', '--mode', 'random', '--probability', '0.30', '-j', 'DROP']);
  });

  it('enters every namespace of the container init to run a command', () => {
    expect(nsenterArgs(1234, 'systemctl stop ssh')).toEqual(['-t', '1234', '-a', '/bin/sh', '-c', 'systemctl stop ssh']);
  });

  it('boots with the flags verified on this machine', () => {
    const args = nspawnArgs({ id: 3, root: '/lab/pis/3/root', netns: 'pirack-pi3' });
    expect(args).toEqual(
      expect.arrayContaining([
        '-D',
        '/lab/pis/3/root',
        '--boot',
        '--register=no',
        '--keep-unit',
        '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
        '--network-namespace-path=/run/netns/pirack-pi3',
      ]),
    );
  });
});
