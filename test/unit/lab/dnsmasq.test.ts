import { describe, expect, it } from 'vitest';
import { dnsmasqArgs, hostsFileText, parseLeases } from '../../../src/lab/dnsmasq.ts';

describe('lab dnsmasq', () => {
  it('writes one MAC,IP line per fixed address', () => {
    expect(
      hostsFileText([
        { mac: 'b8:27:eb:00:00:01', ip: '10.213.0.11' },
        { mac: 'b8:27:eb:00:00:02', ip: '10.213.0.12' },
      ]),
    ).toBe('b8:27:eb:00:00:01,10.213.0.11\nb8:27:eb:00:00:02,10.213.0.12\n');
    expect(hostsFileText([])).toBe('');
  });

  it('parses the leases file and skips junk', () => {
    const text =
      '1700000000 B8:27:EB:00:00:01 10.213.0.11 raspberrypi 01:b8:27:eb:00:00:01\n0 b8:27:eb:00:00:02 10.213.0.150 * *\ngarbage\n';
    expect(parseLeases(text)).toEqual([
      { expiry: 1700000000, mac: 'b8:27:eb:00:00:01', ip: '10.213.0.11', hostname: 'raspberrypi' },
      { expiry: 0, mac: 'b8:27:eb:00:00:02', ip: '10.213.0.150' },
    ]);
  });

  it('runs on the bridge only, DHCP only, with every file in the lab dir', () => {
    const args = dnsmasqArgs('/tmp/lab');
    expect(args).toEqual(
      expect.arrayContaining(['--port=0', '--interface=pirack-br0', '--bind-interfaces', '--conf-file=/dev/null', '--keep-in-foreground']),
    );
    expect(args).toContain('--dhcp-hostsfile=/tmp/lab/dhcp-hosts');
    expect(args).toContain('--dhcp-range=10.213.0.100,10.213.0.199,1h');
    expect(args.filter((a) => a.includes('=/') && !a.startsWith('--conf-file')).every((a) => a.includes('=/tmp/lab/'))).toBe(true);
  });
});
