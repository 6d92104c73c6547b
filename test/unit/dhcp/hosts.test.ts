import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOSTS_HEADER, parseHostsFile, readHostsFile, renderHostsFile, sameHostEntries, writeHostsFile } from '../../../src/dhcp/hosts.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pirack-hosts-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entries = [
  { mac: 'B8:27:EB:00:00:0A', ip: '10.99.0.110' },
  { mac: 'b8:27:eb:00:00:02', ip: '10.99.0.9' },
  { mac: 'b8:27:eb:00:00:01', ip: '10.99.0.70' },
];

describe('dnsmasq hosts file', () => {
  it('renders sorted MAC,IP lines (numeric IP order, lower-case MACs) under a header', () => {
    expect(renderHostsFile(entries)).toBe(
      `${HOSTS_HEADER}\nb8:27:eb:00:00:02,10.99.0.9\nb8:27:eb:00:00:01,10.99.0.70\nb8:27:eb:00:00:0a,10.99.0.110\n`,
    );
  });

  it("writes a replaced Pi's old MAC after its new one (dnsmasq may then drop the old lease), and reads the line as the new MAC", () => {
    const moving = [{ mac: 'B8:27:EB:01:00:01', previousMacs: ['b8:27:eb:00:00:01'], ip: '10.99.0.11' }];
    expect(renderHostsFile(moving)).toBe(`${HOSTS_HEADER}\nb8:27:eb:01:00:01,b8:27:eb:00:00:01,10.99.0.11\n`);
    expect(parseHostsFile(renderHostsFile(moving))).toEqual([{ mac: 'b8:27:eb:01:00:01', ip: '10.99.0.11' }]);
    expect(sameHostEntries(parseHostsFile(renderHostsFile(moving)), [{ mac: 'b8:27:eb:01:00:01', ip: '10.99.0.11' }])).toBe(true);
  });

  it('parses what it renders and dnsmasq extras, ignoring comments and junk', () => {
    expect(parseHostsFile(renderHostsFile(entries))).toHaveLength(3);
    expect(parseHostsFile('# c\nb8:27:eb:00:00:03,10.99.0.3,pi-03,infinite\nnot a line\n')).toEqual([
      { mac: 'b8:27:eb:00:00:03', ip: '10.99.0.3' },
    ]);
    expect(sameHostEntries(entries, [...entries].reverse())).toBe(true);
    expect(sameHostEntries(entries, entries.slice(1))).toBe(false);
  });

  it('writes atomically and SIGHUPs dnsmasq only when the content changed', async () => {
    const path = join(dir, 'dhcp-hosts');
    const pidFile = join(dir, 'dnsmasq.pid');
    writeFileSync(pidFile, '4242\n');
    const kills: [number, string][] = [];
    const kill = (pid: number, sig: NodeJS.Signals) => void kills.push([pid, sig]);
    expect(await readHostsFile(path)).toBeUndefined();
    expect(await writeHostsFile(path, entries, { pidFile, kill, noSync: true })).toEqual({ changed: true, signalled: 4242 });
    expect(readFileSync(path, 'utf8')).toBe(renderHostsFile(entries));
    expect(await writeHostsFile(path, [...entries].reverse(), { pidFile, kill, noSync: true })).toEqual({ changed: false });
    expect(kills).toEqual([[4242, 'SIGHUP']]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readHostsFile(path)).toHaveLength(3);
  });

  it('reports a missing pid file as a DHCP error after writing the file', async () => {
    const path = join(dir, 'dhcp-hosts');
    await expect(writeHostsFile(path, entries, { pidFile: join(dir, 'none.pid'), noSync: true })).rejects.toMatchObject({
      code: 'PIRACK_ERR_DHCP',
    });
    expect(readFileSync(path, 'utf8')).toContain('10.99.0.70');
  });
});
