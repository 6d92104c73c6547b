import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLeases, readLeases, watchLeases, type ParsedLeases } from '../../../src/dhcp/leases.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('dnsmasq leases', () => {
  it('parses lease lines and reports garbage lines without failing', () => {
    const text = [
      '1700000600 B8:27:EB:00:00:01 10.99.0.201 pi-a 01:b8:27:eb:00:00:01',
      '0 b8:27:eb:00:00:02 10.99.0.202 * *',
      'duid 00:01:00:01:2c:aa',
      'garbage',
      'soon b8:27:eb:00:00:03 10.99.0.203 * *',
      '1700000600 nope 10.99.0.204 * *',
      '1700000600 b8:27:eb:00:00:05 10.99.0.300 * *',
      '',
    ].join('\n');
    const { leases, garbage } = parseLeases(text);
    expect(leases).toEqual([
      { expiry: 1700000600, mac: 'b8:27:eb:00:00:01', ip: '10.99.0.201', hostname: 'pi-a', clientId: '01:b8:27:eb:00:00:01' },
      { expiry: 0, mac: 'b8:27:eb:00:00:02', ip: '10.99.0.202' },
    ]);
    expect(garbage.map((g) => g.line)).toEqual([4, 5, 6, 7]);
    expect(garbage[2]?.reason).toContain('MAC');
  });

  it('a missing leases file is no leases', async () => {
    expect(await readLeases('/nonexistent/dnsmasq.leases')).toEqual({ leases: [], garbage: [] });
  });

  it('debounces bursts of change events into one read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-leases-'));
    const path = join(dir, 'dnsmasq.leases');
    writeFileSync(path, '1700000600 b8:27:eb:00:00:01 10.99.0.201 * *\n');
    const fakeWatcher = Object.assign(new EventEmitter(), { close: async () => undefined });
    const seen: ParsedLeases[] = [];
    const w = watchLeases(path, (p) => seen.push(p), { debounceMs: 20, watchFile: () => fakeWatcher as never });
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toHaveLength(1);
    writeFileSync(path, '1700000600 b8:27:eb:00:00:01 10.99.0.201 * *\n1700000700 b8:27:eb:00:00:02 10.99.0.202 * *\n');
    for (let i = 0; i < 5; i++) fakeWatcher.emit('change', path);
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toHaveLength(2);
    expect(seen[1]?.leases).toHaveLength(2);
    await w.close();
  });

  it('follows a real file with chokidar', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-leases-'));
    const path = join(dir, 'dnsmasq.leases');
    writeFileSync(path, '');
    const seen: ParsedLeases[] = [];
    const w = watchLeases(path, (p) => seen.push(p), { debounceMs: 20 });
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(path, '1700000600 b8:27:eb:00:00:01 10.99.0.201 * *\n');
    // Bounded wait for the change to arrive.
    for (let i = 0; i < 40 && !seen.some((s) => s.leases.length === 1); i++) await new Promise((r) => setTimeout(r, 50));
    await w.close();
    expect(seen.some((s) => s.leases.length === 1)).toBe(true);
  });
});
