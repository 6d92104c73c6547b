import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRack } from '../../../src/config/load.ts';
import { lockStateDir } from '../../../src/daemon/state-lock.ts';
import { isPiRackError, type ErrorCode } from '../../../src/errors.ts';
import { installMaster, uninstallMaster, type InstallOptions } from '../../../src/master/install.ts';
import { MANAGED_MARK, masterLayout } from '../../../src/master/layout.ts';
import { runProgram, type Runner } from '../../../src/master/run.ts';
import { resolveBuiltin } from '../../../src/slave/bundle.ts';
import { runCli } from '../../support/cli.ts';
import { fakeRoot, removeRoot, snapshot, type FakeRootOptions } from '../../support/master-root.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) removeRoot(r);
});

/** systemctl is recorded (and answers is-enabled from what enable did); ssh-keygen is real. */
function recorder(): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  let enabled = false;
  const run: Runner = async (program, args) => {
    if (program !== 'systemctl') return runProgram(program, args);
    const words = args.filter((a) => !a.startsWith('--root='));
    calls.push(words.join(' '));
    if (words[0] === 'is-enabled') return { code: enabled ? 0 : 1, stdout: '', stderr: '' };
    if (words[0] === 'enable') enabled = true;
    if (words[0] === 'disable') enabled = false;
    return { code: 0, stdout: '', stderr: '' };
  };
  return { run, calls };
}

async function setUp(options: FakeRootOptions = {}): Promise<{ root: string; opts: InstallOptions; calls: string[] }> {
  const root = fakeRoot(options);
  roots.push(root);
  const rack = await loadRack(join(root, 'etc/pirack/rack.yaml'), { resolveBuiltin, requireKey: false });
  const { run, calls } = recorder();
  return {
    root,
    calls,
    opts: {
      layout: masterLayout(root),
      rack,
      interface: 'eth0',
      force: false,
      start: false,
      run,
      unit: {
        node: '/usr/bin/node',
        bin: '/usr/lib/node_modules/pirack/bin/pirack.mjs',
        daemonArgs: ['daemon', '--rack', '/etc/pirack/rack.yaml', '--state-dir', '/var/lib/pirack', '--listen', '127.0.0.1:8080'],
        stateDir: '/var/lib/pirack',
        workDir: '/etc/pirack',
      },
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isPiRackError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('pirack master install', () => {
  it('sets a master up: state dir 0700, key pair, token, unit, dnsmasq and chrony drop-ins, the unit enabled', async () => {
    const { root, opts, calls } = await setUp();
    const report = await installMaster(opts);
    expect(statSync(join(root, 'var/lib/pirack')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(root, 'var/lib/pirack/id_ed25519.pub'), 'utf8')).toMatch(/^ssh-ed25519 /);
    expect(statSync(join(root, 'var/lib/pirack/id_ed25519')).mode & 0o077).toBe(0);
    expect(statSync(join(root, 'etc/pirack/secrets')).mode & 0o777).toBe(0o700);
    const token = readFileSync(join(root, 'var/lib/pirack/admin-token'), 'utf8').trim();
    expect(report.createdToken).toBe(token);
    const unit = readFileSync(join(root, 'etc/systemd/system/pirack.service'), 'utf8');
    expect(unit.startsWith(MANAGED_MARK)).toBe(true);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('KillMode=mixed');
    expect(unit).toContain('StateDirectory=pirack');
    expect(unit).toContain('Environment=PIRACK_LOG_FORMAT=journal');
    expect(unit).not.toContain(token);
    const dnsmasq = readFileSync(join(root, 'etc/dnsmasq.d/pirack.conf'), 'utf8');
    expect(dnsmasq).toContain('dhcp-range=eth0,192.168.23.200,192.168.23.250,255.255.255.0,1h');
    expect(dnsmasq).toContain('dhcp-hostsfile=/etc/pirack/dhcp-hosts');
    expect(dnsmasq).toContain('dhcp-option=eth0,option:ntp-server,192.168.23.11');
    expect(readFileSync(join(root, 'etc/chrony/conf.d/pirack.conf'), 'utf8')).toContain('allow 192.168.23.0/24');
    expect(existsSync(join(root, 'etc/pirack/dhcp-hosts'))).toBe(true);
    expect(report.warnings.join('\n')).toContain('apt-get install apt-cacher-ng');
    expect(calls).toEqual(['is-enabled --quiet pirack.service', 'enable pirack.service']);
  });

  it('run twice: the second run changes nothing and says so', async () => {
    const { root, opts } = await setUp();
    await installMaster(opts);
    const before = snapshot(root);
    const second = await installMaster(opts);
    expect(second.changed).toEqual([]);
    expect(second.done).toEqual([]);
    expect(second.createdToken).toBeUndefined();
    expect(snapshot(root)).toEqual(before);
  });

  it('a missing prerequisite: says what to install, changes nothing', async () => {
    const { root, opts } = await setUp({ without: ['dnsmasq', 'gpioset'] });
    const before = snapshot(root);
    const err = await refusal(installMaster(opts));
    expect(err.code).toBe('PIRACK_ERR_MASTER_PREREQUISITE');
    expect(err.message).toContain('apt-get install dnsmasq gpiod');
    expect(snapshot(root)).toEqual(before);
  });

  it('sysfs GPIO stands in for gpiod', async () => {
    const { root, opts } = await setUp({ without: ['gpioset'], sysfsGpio: true });
    await installMaster(opts);
    expect(existsSync(join(root, 'etc/systemd/system/pirack.service'))).toBe(true);
  });

  it('not a Pi: says so and offers --force, changes nothing; --force installs', async () => {
    const { root, opts } = await setUp({ model: undefined });
    const before = snapshot(root);
    const err = await refusal(installMaster(opts));
    expect(err.code).toBe('PIRACK_ERR_NOT_A_PI');
    expect(err.message).toContain('--force');
    expect(snapshot(root)).toEqual(before);
    const forced = await installMaster({ ...opts, force: true });
    expect(forced.warnings.join('\n')).toContain('not a Raspberry Pi');
    expect(existsSync(join(root, 'etc/systemd/system/pirack.service'))).toBe(true);
  });

  it("the user's own dnsmasq file at PiRack's path: refused whole, nothing written", async () => {
    const { root, opts } = await setUp();
    mkdirSync(join(root, 'etc/dnsmasq.d'), { recursive: true });
    writeFileSync(join(root, 'etc/dnsmasq.d/pirack.conf'), 'interface=wlan0\n');
    const before = snapshot(root);
    const err = await refusal(installMaster(opts));
    expect(err.code).toBe('PIRACK_ERR_MASTER_CONFLICT');
    expect(err.message).toContain('etc/dnsmasq.d/pirack.conf');
    expect(snapshot(root)).toEqual(before);
  });

  it("a changed setting rewrites PiRack's own file only", async () => {
    const { root, opts } = await setUp();
    await installMaster(opts);
    const again = await installMaster({ ...opts, interface: 'eth1' });
    expect(again.changed).toEqual(['/etc/dnsmasq.d/pirack.conf']);
    expect(readFileSync(join(root, 'etc/dnsmasq.d/pirack.conf'), 'utf8')).toContain('interface=eth1');
  });
});

describe('pirack master uninstall', () => {
  it("removes PiRack's files, keeps the user's and the state dir; run twice removes nothing", async () => {
    const { root, opts, calls } = await setUp();
    await installMaster(opts);
    writeFileSync(join(root, 'etc/chrony/conf.d/pirack.conf'), 'server ntp.example\n'); // the user's now
    const report = await uninstallMaster({ layout: opts.layout, stateDir: '/var/lib/pirack', purge: false, run: opts.run });
    expect([...report.removed].sort()).toEqual(['/etc/dnsmasq.d/pirack.conf', '/etc/systemd/system/pirack.service']);
    expect(report.kept).toEqual(['/etc/chrony/conf.d/pirack.conf']);
    expect(calls).toContain('disable pirack.service');
    expect(existsSync(join(root, 'var/lib/pirack/id_ed25519'))).toBe(true);
    const twice = await uninstallMaster({ layout: opts.layout, stateDir: '/var/lib/pirack', purge: false, run: opts.run });
    expect(twice.removed).toEqual([]);
  });

  it('--purge is refused while a daemon holds the state dir', async () => {
    const { root, opts } = await setUp();
    await installMaster(opts);
    const lock = lockStateDir(join(root, 'var/lib/pirack'), 31337);
    try {
      const err = await refusal(uninstallMaster({ layout: opts.layout, stateDir: '/var/lib/pirack', purge: true, run: opts.run }));
      expect(err.code).toBe('PIRACK_ERR_DAEMON_RUNNING');
      expect(err.message).toContain('pid 31337');
      expect(existsSync(join(root, 'var/lib/pirack/id_ed25519'))).toBe(true);
    } finally {
      lock.release();
    }
    await uninstallMaster({ layout: opts.layout, stateDir: '/var/lib/pirack', purge: true, run: opts.run });
    expect(existsSync(join(root, 'var/lib/pirack'))).toBe(false);
  });
});

describe('pirack master install, the command', () => {
  it('installs into --root with the real systemctl, then refuses a machine that is not a Pi', { timeout: 120_000 }, async () => {
    const root = fakeRoot();
    roots.push(root);
    const first = await runCli(['master', 'install', '--root', root, '--interface', 'eth0'], { timeoutMs: 60_000 });
    expect(first.stderr).not.toContain('unexpected');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('enabled pirack.service');
    // systemctl --root links to the path as the master sees it: dangling from here, hence lstat.
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/pirack.service'))).toBe(
      '/etc/systemd/system/pirack.service',
    );
    const second = await runCli(['master', 'install', '--root', root, '--interface', 'eth0'], { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing changed');

    const notPi = fakeRoot({ model: 'QEMU Virtual Machine' });
    roots.push(notPi);
    const refused = await runCli(['master', 'install', '--root', notPi, '--interface', 'eth0'], { timeoutMs: 60_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not a Raspberry Pi');
    expect(refused.stderr).toContain('--force');
    expect(existsSync(join(notPi, 'etc/systemd/system/pirack.service'))).toBe(false);
  });
});
