/** A small valid rack for tests, and loader options that touch no real files. */
import type { RawRack } from '../../../src/config/raw.ts';
import type { ParseRackOptions } from '../../../src/config/load.ts';

export const FAKE_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly0000000000000000000 pirack@master';

export function baseRack(): RawRack {
  return {
    apiVersion: 'pirack/v1',
    name: 'test',
    grid: { rows: 1, cols: 2 },
    network: { subnet: '10.0.0.0/24', master: '10.0.0.11', gateway: '10.0.0.1', dhcp: { dynamicRange: ['10.0.0.200', '10.0.0.250'] } },
    relay: { driver: 'onoff' },
    defaults: {
      packages: [{ name: 'bc' }],
      files: [{ path: '/etc/motd', content: 'hi\n' }],
      services: [{ name: 'x.service', restartOnChangeOf: ['/etc/motd'] }],
    },
    stacks: [
      {
        id: 1,
        x: 1,
        y: 1,
        relayPin: 18,
        pis: [
          { id: 1, ip: '10.0.0.70' },
          { id: 2, ip: '10.0.0.71', mac: 'b8:27:eb:00:00:02' },
        ],
      },
      { id: 2, x: 1, y: 2, relayPin: 25, pis: [{ id: 3, ip: '10.0.0.72' }] },
    ],
  };
}

export function testOptions(extra: Partial<ParseRackOptions> = {}): ParseRackOptions {
  return {
    sourcePath: 'rack.yaml',
    baseDir: '/nonexistent/rack',
    resolveBuiltin: (name) => (name === 'pirack-slave' ? '// slave\n' : undefined),
    readFile: (p) => {
      throw Object.assign(new Error(`no such file ${p}`), { code: 'ENOENT' });
    },
    readPublicKey: () => `${FAKE_KEY}\n`,
    ...extra,
  };
}
