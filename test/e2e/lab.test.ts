/**
 * The virtual rack itself, end to end (root, systemd-nspawn, dnsmasq): 2 stacks × 2 Pis booted,
 * each reachable with the bootstrap password, apt working from the local repository, the lab
 * relay, every fault kind applied and lifted with its effect observed, and `lab down` leaving
 * nothing behind. Cleanup runs in afterAll even when a test fails.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown } from '../../src/lab/down.ts';
import { labFault } from '../../src/lab/faults.ts';
import { hostExec } from '../../src/lab/exec.ts';
import { currentMountsUnder } from '../../src/lab/mounts.ts';
import { labExec, labPiAddress } from '../../src/lab/pi-exec.ts';
import { isAlive, type RecordedPid } from '../../src/lab/process.ts';
import { createLabRelay } from '../../src/lab/relay.ts';
import { readState } from '../../src/lab/state.ts';
import { labStatus } from '../../src/lab/status.ts';
import { labUp } from '../../src/lab/up.ts';
import { acquireLabLock, type LabLock } from '../../src/lab/owner-lock.ts';
import { tcpOpen } from '../../src/lab/wait.ts';

const dir = '/var/lib/pirack-lab-e2e';
const log = (line: string): void => void process.stderr.write(`[lab e2e] ${line}\n`);

interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
  hostKey: string;
}

/** One password login and one command; the host key's sha256 comes back too. */
function ssh(host: string, command: string, timeoutMs = 60_000): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey = '';
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`ssh ${host} \`${command}\` timed out`));
    }, timeoutMs);
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) return reject(err);
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => {
            clearTimeout(timer);
            client.end();
            resolve({ code: code ?? -1, stdout, stderr, hostKey });
          });
        });
      })
      .on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      })
      .connect({
        host,
        port: 22,
        username: 'root',
        password: 'raspberry',
        readyTimeout: 20_000,
        hostVerifier: (key: Buffer) => {
          hostKey = createHash('sha256').update(key).digest('base64');
          return true;
        },
      });
  });
}

async function waitPort(host: string, open: boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await tcpOpen(host, 22, 500)) === open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${host}:22 did not become ${open ? 'open' : 'closed'} within ${timeoutMs} ms`);
}

async function connectMs(host: string): Promise<number> {
  const t = Date.now();
  expect(await tcpOpen(host, 22, 3000)).toBe(true);
  return Date.now() - t;
}

let recorded: RecordedPid[] = [];

async function rememberPids(): Promise<void> {
  const s = await readState(dir);
  if (!s) return;
  for (const p of [s.dnsmasq, s.http, ...s.pis.flatMap((pi) => [pi.init, pi.nspawn, ...Object.values(pi.faults).map((f) => f?.helper)])]) {
    if (p && !recorded.some((r) => r.pid === p.pid && r.startTime === p.startTime)) recorded.push(p);
  }
}

let lock: LabLock | undefined;

beforeAll(async () => {
  // One lab per machine at a time: the bridge and namespace names are global.
  lock = await acquireLabLock({ onWait: (pid) => log(`waiting for the virtual rack held by PID ${pid}`) });
  await labDown({ progress: log });
  // The root-login lab: these checks log in as root (test/e2e/stock-os.test.ts covers the stock-OS default).
  const result = await labUp({ dir, stacks: 2, perStack: 2, rootLogin: true, progress: log });
  log(`image ${result.imageSeconds.toFixed(1)}s, boot ${result.bootSeconds.toFixed(1)}s, total ${result.totalSeconds.toFixed(1)}s`);
  await rememberPids();
});

afterAll(async () => {
  try {
    await labDown({ dir, progress: log });
  } finally {
    lock?.release();
  }
});

describe('lab: 2 stacks × 2 Pis', () => {
  it('every Pi is up, reachable with the bootstrap password, without bc, with its own host key', async () => {
    const status = await labStatus({ dir });
    expect(status.pis.map((p) => p.state)).toEqual(['running', 'running', 'running', 'running']);
    const keys = new Set<string>();
    for (const pi of status.pis) {
      const host = await labPiAddress(pi.id, { dir });
      expect(host).toBe(`10.213.0.${10 + pi.id}`);
      const r = await ssh(
        host,
        'systemctl is-system-running --wait; command -v bc; echo "bc=$?"; dpkg -s bc >/dev/null 2>&1; echo "dpkg=$?"; cat /etc/machine-id',
      );
      const [running, bc, dpkg, machineId] = r.stdout.trim().split('\n');
      expect(running).toBe('running');
      expect(bc).toBe('bc=1');
      expect(dpkg).toBe('dpkg=1');
      expect(machineId).toMatch(/^[0-9a-f]{32}$/);
      keys.add(r.hostKey);
      keys.add(machineId!);
      expect(pi.memoryBytes).toBeGreaterThan(1_000_000);
    }
    expect(keys.size).toBe(8);
  });

  it('installs bc with real apt from the local repository', async () => {
    const r = await ssh(
      '10.213.0.11',
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bc && echo 2+3 | bc',
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('5');
  });

  it('the lab relay switches a stack off (hard) and on', async () => {
    const relay = createLabRelay({ dir });
    expect(await relay.read(2)).toBe('on');
    await relay.set(2, 'off');
    expect(await relay.read(2)).toBe('off');
    expect(await relay.read(1)).toBe('on');
    await waitPort('10.213.0.13', false, 5000);
    await relay.set(2, 'on');
    await rememberPids();
    expect(await relay.read(2)).toBe('on');
    await waitPort('10.213.0.13', true);
    await waitPort('10.213.0.14', true);
  });

  it('power-loss kills the Pi at once; the SD card keeps what was written; undo boots it', async () => {
    expect((await labExec(2, 'echo kept > /root/before-power-loss && sync', { dir })).code).toBe(0);
    await labFault(2, 'power-loss', { dir });
    expect((await labStatus({ dir })).pis[1]?.state).toBe('off');
    expect(await tcpOpen('10.213.0.12', 22, 500)).toBe(false);
    await labFault(2, 'power-loss', { dir, undo: true });
    await rememberPids();
    await waitPort('10.213.0.12', true);
    expect((await ssh('10.213.0.12', 'cat /root/before-power-loss')).stdout.trim()).toBe('kept');
  });

  it('sshd-stopped closes port 22; undo opens it', async () => {
    await labFault(3, 'sshd-stopped', { dir });
    expect(await tcpOpen('10.213.0.13', 22, 1000)).toBe(false);
    expect((await labExec(3, 'systemctl is-active ssh.service', { dir })).stdout.trim()).toBe('inactive');
    await labFault(3, 'sshd-stopped', { dir, undo: true });
    await waitPort('10.213.0.13', true, 10_000);
  });

  it('net-delay adds ~300 ms; undo removes it', async () => {
    expect(await connectMs('10.213.0.14')).toBeLessThan(150);
    await labFault(4, 'net-delay', { dir });
    await rememberPids();
    expect(await connectMs('10.213.0.14')).toBeGreaterThanOrEqual(280);
    await labFault(4, 'net-delay', { dir, undo: true });
    expect(await connectMs('10.213.0.14')).toBeLessThan(150);
  });

  it('net-loss drops about 30 % of packets; undo drops none', async () => {
    await labFault(4, 'net-loss', { dir });
    const lossy = await labExec(4, 'ping -q -c 60 -i 0.05 -W 1 10.213.0.1 | grep -o "[0-9.]*% packet loss"', { dir });
    const pct = Number(/([\d.]+)%/.exec(lossy.stdout)?.[1]);
    expect(pct).toBeGreaterThan(5);
    expect(pct).toBeLessThan(70);
    await labFault(4, 'net-loss', { dir, undo: true });
    const clean = await labExec(4, 'ping -q -c 20 -i 0.05 -W 1 10.213.0.1 | grep -o "[0-9.]*% packet loss"', { dir });
    expect(clean.stdout.trim()).toBe('0% packet loss');
  });

  it('hostkey-regenerated changes the key sshd presents; undo restores the old one', async () => {
    const before = (await ssh('10.213.0.11', 'true')).hostKey;
    await labFault(1, 'hostkey-regenerated', { dir });
    const during = (await ssh('10.213.0.11', 'true')).hostKey;
    expect(during).not.toBe(before);
    await labFault(1, 'hostkey-regenerated', { dir, undo: true });
    expect((await ssh('10.213.0.11', 'true')).hostKey).toBe(before);
  });

  it('dpkg-lock makes apt fail on the lock; undo lets it through', async () => {
    await labFault(1, 'dpkg-lock', { dir, seconds: 60 });
    await rememberPids();
    const locked = await ssh('10.213.0.11', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q htop');
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toMatch(/Could not get lock \/var\/lib\/dpkg\/lock-frontend/);
    await labFault(1, 'dpkg-lock', { dir, undo: true });
    const ok = await ssh('10.213.0.11', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q htop && command -v htop', 120_000);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('disk-full makes writes fail with ENOSPC; undo frees the space', async () => {
    await labFault(2, 'disk-full', { dir });
    const full = await ssh('10.213.0.12', 'head -c 1000000 /dev/zero > /root/blob');
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device/);
    await labFault(2, 'disk-full', { dir, undo: true });
    expect((await ssh('10.213.0.12', 'head -c 1000000 /dev/zero > /root/blob && rm /root/blob')).code).toBe(0);
    expect((await labStatus({ dir })).pis[1]?.faults).toEqual([]);
  });

  it('refuses a second lab up while one is up', async () => {
    await expect(labUp({ dir, stacks: 1, perStack: 1 })).rejects.toMatchObject({ code: 'PIRACK_ERR_LAB' });
  });

  it('lab down leaves no namespace, link, mount or process, and is safe to run twice', async () => {
    await rememberPids();
    expect(recorded.length).toBeGreaterThan(6);
    await labDown({ dir, progress: log });
    await labDown({ dir });
    expect((await hostExec('ip', ['netns', 'list'])).stdout).not.toMatch(/pirack-/);
    expect((await hostExec('ip', ['-o', 'link', 'show'])).stdout).not.toMatch(/\d+: (prv\d|pirack-)/);
    expect(await currentMountsUnder(dir)).toEqual([]);
    expect((await hostExec('losetup', ['-n', '-l', '-O', 'BACK-FILE'])).stdout).not.toContain(dir);
    for (const p of recorded) expect(await isAlive(p), `pid ${p.pid}`).toBe(false);
    expect(await readFile(`${dir}/state.json`, 'utf8').catch(() => 'gone')).toBe('gone');
  });
});
