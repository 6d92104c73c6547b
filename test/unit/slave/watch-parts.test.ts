import { mkdtemp, mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileWatches } from '../../../src/slave/file-watch.ts';
import { parseThrottled } from '../../../src/slave/throttled.ts';
import { serveChoice } from '../../../src/slave/serve.ts';
import { unitObjectPath } from '../../../src/slave/unit-watch.ts';
import { DPKG_STATUS, homeOf, parseSpec, targetsOf } from '../../../src/slave/watch.ts';
import { readHealth } from '../../../src/slave/metrics.ts';

describe('parseSpec', () => {
  it('takes a well-formed spec', () => {
    expect(parseSpec({ type: 'spec', revision: 'r', files: ['/a'], packages: [], units: ['x.service'], authorizedKeysUser: 'pi' })).toEqual(
      {
        revision: 'r',
        files: ['/a'],
        packages: [],
        units: ['x.service'],
        authorizedKeysUser: 'pi',
      },
    );
  });

  it.each([
    [null, 'not an object'],
    [{ type: 'hello' }, 'type is "hello", not "spec"'],
    [{ type: 'spec', revision: 1 }, 'revision is not a string'],
    [{ type: 'spec', revision: 'r', files: [1], packages: [], units: [] }, 'files, packages and units must be arrays of strings'],
    [{ type: 'spec', revision: 'r', files: ['rel/path'], packages: [], units: [] }, 'file path "rel/path" is not absolute'],
  ])('refuses %j', (value, why) => {
    expect(parseSpec(value)).toBe(why);
  });
});

describe('targets of a spec', () => {
  it('watches managed files, the user’s authorized_keys and the dpkg status', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n';
    expect(homeOf(passwd, 'pi')).toBe('/home/pi');
    expect(homeOf(passwd, 'nobody')).toBeUndefined();
    const t = targetsOf({ revision: 'r', files: ['/etc/a.conf'], packages: ['bc'], units: [] }, '/home/pi');
    expect(t.map((x) => x.path)).toEqual(['/etc/a.conf', '/home/pi/.ssh/authorized_keys', DPKG_STATUS]);
    expect(targetsOf({ revision: 'r', files: [], packages: [], units: [] }, undefined)).toEqual([]);
  });
});

describe('unitObjectPath', () => {
  it('escapes like systemd’s bus_label_escape', () => {
    expect(unitObjectPath('pirack-slave.service')).toBe('/org/freedesktop/systemd1/unit/pirack_2dslave_2eservice');
    expect(unitObjectPath('ssh.service')).toBe('/org/freedesktop/systemd1/unit/ssh_2eservice');
    expect(unitObjectPath('1a@b.service')).toBe('/org/freedesktop/systemd1/unit/_31a_40b_2eservice');
  });
});

describe('parseThrottled', () => {
  it('reads vcgencmd’s hex answer', () => {
    expect(parseThrottled('throttled=0x50005\n')).toBe(0x50005);
    expect(parseThrottled('throttled=0x0')).toBe(0);
    expect(parseThrottled('error')).toBeNull();
  });
});

describe('serveChoice', () => {
  it('opens no port by default', () => {
    expect(serveChoice([], {})).toEqual({ host: '127.0.0.1' });
  });
  it('opts in to a loopback port by flag or environment', () => {
    expect(serveChoice(['--port', '1026'], {})).toEqual({ port: 1026, host: '127.0.0.1' });
    expect(serveChoice([], { PIRACK_SLAVE_PORT: '9100' })).toEqual({ port: 9100, host: '127.0.0.1' });
    expect(serveChoice(['--port', '1026', '--host', '::1'], {})).toEqual({ port: 1026, host: '::1' });
  });
  it('refuses a non-loopback host and a bad port', () => {
    expect(serveChoice(['--port', '1026', '--host', '0.0.0.0'], {})).toContain('not a loopback address');
    expect(serveChoice(['--port', 'http'], {})).toContain('not a TCP port');
  });
});

describe('readHealth', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  it('reads memory, load, uptime, temperature and disk from the given roots', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pirack-health-'));
    await mkdir(join(dir, 'proc/sys/kernel'), { recursive: true });
    await mkdir(join(dir, 'sys/class/thermal/thermal_zone0'), { recursive: true });
    await writeFile(join(dir, 'proc/meminfo'), 'MemTotal:  1000 kB\nMemFree: 10 kB\nMemAvailable:   400 kB\n');
    await writeFile(join(dir, 'proc/loadavg'), '0.50 0.40 0.30 1/100 42\n');
    await writeFile(join(dir, 'proc/uptime'), '321.5 100.0\n');
    await writeFile(join(dir, 'proc/sys/kernel/hostname'), 'pi7\n');
    await writeFile(join(dir, 'sys/class/thermal/thermal_zone0/temp'), '47500\n');
    const h = await readHealth(12.5, 0x50000, { proc: join(dir, 'proc'), sys: join(dir, 'sys'), disk: dir });
    expect(h).toMatchObject({
      hostname: 'pi7',
      cpuPercent: 12.5,
      temperatureC: 47.5,
      memTotalKb: 1000,
      memAvailableKb: 400,
      load1: 0.5,
      load15: 0.3,
      uptimeSeconds: 321.5,
      throttled: 0x50000,
    });
    expect(h.diskFreeBytes).toBeGreaterThan(0);
    expect(h.diskTotalBytes).toBeGreaterThanOrEqual(h.diskFreeBytes!);
  });
});

describe('FileWatches (real inotify)', () => {
  let dir: string | undefined;
  let watches: FileWatches | undefined;
  afterEach(async () => {
    watches?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 3_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('no event in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('reports an in-place edit and an atomic rename of a watched file, not its neighbours', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pirack-watch-'));
    await writeFile(join(dir, 'a.conf'), 'one');
    const seen: string[] = [];
    watches = new FileWatches((k) => seen.push(k));
    expect(watches.set([{ path: join(dir, 'a.conf'), key: 'A' }])).toEqual([]);
    await writeFile(join(dir, 'other'), 'x');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    await writeFile(join(dir, 'a.conf'), 'two');
    await until(() => seen.length > 0);
    seen.length = 0;
    await writeFile(join(dir, '.a.conf.tmp'), 'three');
    await rename(join(dir, '.a.conf.tmp'), join(dir, 'a.conf'));
    await until(() => seen.includes('A'));
  });

  it('waits for a missing directory through its ancestor, then watches it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pirack-watch-'));
    const seen: string[] = [];
    watches = new FileWatches((k) => seen.push(k));
    const target = join(dir, 'home/.ssh/authorized_keys');
    expect(watches.set([{ path: target, key: 'K' }])).toEqual([]);
    expect(watches.watchedDirs().some((d) => d.startsWith(dir!))).toBe(true);
    await mkdir(join(dir, 'home/.ssh'), { recursive: true });
    // The ancestor chain re-arms step by step; writing the file is then seen.
    const deadline = Date.now() + 3_000;
    while (!watches.watchedDirs().includes(join(dir, 'home/.ssh')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(watches.watchedDirs()).toContain(join(dir, 'home/.ssh'));
    seen.length = 0;
    await writeFile(target, 'ssh-ed25519 AAAA x\n');
    await until(() => seen.includes('K'));
  });
});
