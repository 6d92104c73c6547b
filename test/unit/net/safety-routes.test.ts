import { describe, expect, it } from 'vitest';
import { privateResolvers, safetyRouteCommands } from '../../../src/net/safety-routes.ts';

const routes = 'default via 192.0.2.1 dev eth0 \n192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 \n';

describe('safety routes', () => {
  it('keeps a private resolver reachable through the default gateway, then blocks every private range', () => {
    expect(safetyRouteCommands(routes, 'nameserver 10.255.255.53\nnameserver 8.8.8.8\n')).toEqual([
      ['route', 'add', '10.255.255.53/32', 'via', '192.0.2.1', 'dev', 'eth0'],
      ['route', 'add', 'unreachable', '10.0.0.0/8'],
      ['route', 'add', 'unreachable', '172.16.0.0/12'],
      ['route', 'add', 'unreachable', '192.168.0.0/16'],
    ]);
  });

  it('adds nothing twice', () => {
    const installed = `${routes}10.255.255.53 via 192.0.2.1 dev eth0 \nunreachable 10.0.0.0/8 \nunreachable 172.16.0.0/12 \nunreachable 192.168.0.0/16 \n`;
    expect(safetyRouteCommands(installed, 'nameserver 10.255.255.53\n')).toEqual([]);
  });

  it('recognises only private IPv4 resolvers', () => {
    expect(privateResolvers('nameserver 172.20.0.1\nnameserver 172.32.0.1\nnameserver 192.168.1.1\n# nameserver 10.0.0.1\n')).toEqual([
      '172.20.0.1',
      '192.168.1.1',
    ]);
  });
});
