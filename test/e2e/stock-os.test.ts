/**
 * Issue 12's stock Raspberry Pi OS, on the default (stock) lab with real OpenSSH, sudo, apt and
 * systemd: no root login, a sudo user `pi` whose sudo asks for its password. Bad input first, on
 * blank Pis (a wrong sudo password; a user without sudo): a clear error and nothing changed.
 * Then converge from blank by the user's password, through sudo, with the key written to the
 * user's own authorized_keys; then the key alone, with the sudo password from ssh.sudo.
 * The root-login lab's converge-from-blank is test/e2e/converge.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labExec, labIp } from '../../src/lab/index.ts';
import { BOOTSTRAP_PASSWORD } from '../../src/lab/paths.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';

// The default lab: stock Raspberry Pi OS (no rootLogin).
const lab = useLab({ stacks: 1, perStack: 2 });
const PIS = [1, 2];

async function onPi(pi: number, cmd: string): Promise<string> {
  return (await labExec(pi, cmd)).stdout.trim();
}

/** Whether sshd lets `username` in with `password` (a real client, host key unchecked: lab only). */
function passwordLogin(host: string, username: string, password: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`ssh ${username}@${host} timed out`));
    }, 30_000);
    client.once('ready', () => {
      clearTimeout(timer);
      client.end();
      resolve(true);
    });
    client.once('error', (err: Error & { level?: string }) => {
      clearTimeout(timer);
      if (err.level === 'client-authentication') resolve(false);
      else reject(err);
    });
    client.connect({ host, port: 22, username, password, readyTimeout: 20_000, tryKeyboard: false });
  });
}

/** The lab's rack.yaml with `edit` applied, written beside the state dir. */
function variant(name: string, edit: (doc: any) => void): string {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8'));
  edit(doc);
  const file = join(lab().stateDir, `${name}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

interface ApplyJson {
  converged: boolean;
  applied: number;
  pis: { pi: number; applied: unknown[]; error?: { code: string; message: string } }[];
}

async function applyJson(rack: string): Promise<{ code: number; json: ApplyJson; stderr: string }> {
  const r = await runCli(['apply', '--once', '--json', '--rack', rack, '--state-dir', lab().stateDir]);
  return { code: r.code, json: JSON.parse(r.stdout) as ApplyJson, stderr: r.stderr };
}

/** What a pass could have changed on a blank Pi: nothing of it may be there after a refusal. */
async function untouched(pi: number): Promise<void> {
  expect(await onPi(pi, 'command -v bc || echo none')).toBe('none');
  expect(await onPi(pi, 'test -e /usr/local/lib/pirack && echo yes || echo no')).toBe('no');
  // The image has an empty /root/.ssh; the users' homes have none until a key is written.
  for (const path of ['/root/.ssh/authorized_keys', '/home/pi/.ssh', '/home/guest/.ssh']) {
    expect(await onPi(pi, `test -e ${path} && echo yes || echo no`), `${path} on pi ${pi}`).toBe('no');
  }
}

describe('stock Raspberry Pi OS: a sudo user, no root login', () => {
  it('the lab looks like it: root cannot log in by password, the sudo user can', async () => {
    expect(await passwordLogin(labIp(1), 'root', BOOTSTRAP_PASSWORD)).toBe(false);
    expect(await passwordLogin(labIp(1), 'pi', BOOTSTRAP_PASSWORD)).toBe(true);
    expect(await onPi(1, 'id -nG pi')).toContain('sudo');
    expect(await onPi(1, 'id -nG guest')).not.toContain('sudo');
  });

  it('a wrong sudo password: SUDO_AUTH for every Pi and nothing changed', async () => {
    const wrong = join(lab().stateDir, 'wrong-sudo-password');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const rack = variant('wrong-sudo', (doc) => {
      doc.ssh.sudo = { passwordFile: wrong };
    });
    const { code, json } = await applyJson(rack);
    expect(code).toBe(1);
    expect(json.applied).toBe(0);
    expect(json.pis.map((p) => [p.pi, p.error?.code])).toEqual(PIS.map((pi) => [pi, 'PIRACK_ERR_SUDO_AUTH']));
    expect(json.pis[0]?.error?.message).toMatch(/sudo refused user pi's password/);
    expect(JSON.stringify(json)).not.toContain('not-the-password');
    for (const pi of PIS) await untouched(pi);
  });

  it('a user without sudo: SUDO_DENIED for every Pi and nothing changed', async () => {
    const rack = variant('no-sudo', (doc) => {
      doc.ssh.user = 'guest';
      doc.ssh.bootstrap.user = 'guest';
      doc.defaults.authorizedKeys.user = 'guest';
    });
    const { code, json } = await applyJson(rack);
    expect(code).toBe(1);
    expect(json.applied).toBe(0);
    expect(json.pis.map((p) => [p.pi, p.error?.code])).toEqual(PIS.map((pi) => [pi, 'PIRACK_ERR_SUDO_DENIED']));
    expect(json.pis[0]?.error?.message).toMatch(/user guest may not use sudo/);
    for (const pi of PIS) await untouched(pi);
  });

  it('converges from blank by the user’s password, through sudo; the key goes to the user’s own authorized_keys', async () => {
    const result = await runCli(['apply', '--once', '--rack', lab().rackYaml, '--state-dir', lab().stateDir]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/all 2 Pis match rack.yaml \((\d+) actions applied/);
    const masterKey = readFileSync(`${lab().up.dir}/master_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    for (const pi of PIS) {
      expect(await onPi(pi, 'command -v bc')).toBe('/usr/bin/bc');
      expect(await onPi(pi, 'systemctl is-active pirack-slave.service')).toBe('active');
      expect(await onPi(pi, 'stat -c "%a %U:%G" /usr/local/lib/pirack/pirack-slave.js')).toBe('644 root:root');
      expect(await onPi(pi, 'stat -c "%a %U:%G" /home/pi/.ssh /home/pi/.ssh/authorized_keys')).toBe('700 pi:pi\n600 pi:pi');
      expect(await onPi(pi, 'head -n 1 /home/pi/.ssh/authorized_keys')).toContain(masterKey);
      expect(await onPi(pi, 'test -e /root/.ssh/authorized_keys && echo yes || echo no')).toBe('no');
    }
  });

  it('then the key alone (no bootstrap), the sudo password from ssh.sudo: zero actions', async () => {
    const sudoFile = join(lab().stateDir, 'sudo-password');
    writeFileSync(sudoFile, `${BOOTSTRAP_PASSWORD}\n`, { mode: 0o600 });
    const rack = variant('key-only', (doc) => {
      delete doc.ssh.bootstrap;
      doc.ssh.sudo = { passwordFile: sudoFile };
    });
    const { code, json } = await applyJson(rack);
    expect(code, JSON.stringify(json)).toBe(0);
    expect(json).toMatchObject({ converged: true, applied: 0 });

    // A drift only root can repair, through sudo by key.
    await onPi(2, 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q bc >/dev/null 2>&1; chmod 644 /home/pi/.ssh/authorized_keys');
    const repaired = await applyJson(rack);
    expect(repaired.code, JSON.stringify(repaired.json)).toBe(0);
    expect(repaired.json.pis.find((p) => p.pi === 2)?.applied.length).toBe(2);
    expect(await onPi(2, 'command -v bc')).toBe('/usr/bin/bc');
    expect(await onPi(2, 'stat -c "%a %U:%G" /home/pi/.ssh/authorized_keys')).toBe('600 pi:pi');
  });

  it('NOPASSWD sudo needs no password at all; without one, a sudo that asks is SUDO_AUTH naming ssh.sudo', async () => {
    const keyOnly = variant('no-password', (doc) => {
      delete doc.ssh.bootstrap;
    });
    await onPi(1, "echo 'pi ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/010_pi-nopasswd && chmod 440 /etc/sudoers.d/010_pi-nopasswd");
    const { code, json } = await applyJson(keyOnly);
    expect(code).toBe(1);
    expect(json.pis.map((p) => [p.pi, p.error?.code])).toEqual([
      [1, undefined],
      [2, 'PIRACK_ERR_SUDO_AUTH'],
    ]);
    expect(json.pis[1]?.error?.message).toContain('ssh.sudo.passwordFile');
    expect(json.applied).toBe(0);
  });
});
