/** `pirack daemon`'s HTTP flags reach the server: Secure cookies and trusted proxies can be set. */
import { describe, expect, it } from 'vitest';
import { daemonCommand, httpOptions } from '../../../src/cli/commands/daemon.ts';

function parsed(argv: string[]): ReturnType<typeof httpOptions> {
  const command = daemonCommand().exitOverride();
  command.parseOptions(argv);
  return httpOptions(command.opts() as Parameters<typeof httpOptions>[0]);
}

describe('pirack daemon HTTP options', () => {
  it('default: loopback, no Secure cookie, no trusted proxy', () => {
    expect(parsed([])).toEqual({ host: '127.0.0.1', port: 8080, readAccess: 'public', secureCookie: false, trustProxy: [] });
  });

  it('--secure-cookie and --trust-proxy (repeatable, comma lists, CIDRs, loopback)', () => {
    const o = parsed([
      '--listen',
      '0.0.0.0:9000',
      '--secure-cookie',
      '--trust-proxy',
      '10.0.0.1',
      '--trust-proxy',
      'loopback,192.168.0.0/16',
    ]);
    expect(o).toMatchObject({ host: '0.0.0.0', port: 9000, secureCookie: true, trustProxy: ['10.0.0.1', 'loopback', '192.168.0.0/16'] });
  });

  it('refuses a --trust-proxy value that is no address', () => {
    expect(() => parsed(['--trust-proxy', 'proxy.example'])).toThrow(/--trust-proxy expects an address/);
  });
});
