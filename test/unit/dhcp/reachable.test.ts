import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { tcpReachable } from '../../../src/dhcp/reachable.ts';

describe('tcpReachable (loopback only)', () => {
  it('true when the port accepts, false once it is closed', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const signal = new AbortController().signal;
    expect(await tcpReachable(port, 1000)('127.0.0.1', signal)).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await tcpReachable(port, 1000)('127.0.0.1', signal)).toBe(false);
  });
});
