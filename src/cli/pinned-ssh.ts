/**
 * OpenSSH to one Pi with the daemon's key and the host key PiRack pinned, never trust on first
 * use: ssh-keyscan fetches the keys the Pi offers, only the one whose SHA256 fingerprint equals
 * the pin goes into a private known_hosts file, and ssh runs with StrictHostKeyChecking=yes
 * against that file alone, so an impostor's key is refused by ssh itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import { sha256Fingerprint } from '../ssh/fingerprint.ts';
import { openHostKeyStore } from '../ssh/hostkeys.ts';

/** known_hosts lines (`host type base64`) whose key has `fingerprint`. */
export function matchingKeys(scanned: string, fingerprint: string): string[] {
  return scanned
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .filter((l) => {
      const blob = l.split(/\s+/)[2];
      return blob !== undefined && sha256Fingerprint(Buffer.from(blob, 'base64')) === fingerprint;
    });
}

function capture(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.once('error', reject);
    child.once('close', () => resolve(out));
  });
}

/** Runs ssh to the Pi (an interactive shell when `command` is absent); resolves ssh's exit code. */
export async function pinnedSsh(rack: RackSpec, node: NodeSpec, stateDir: string, command?: string): Promise<number> {
  const pins = await openHostKeyStore({ stateDir });
  const pin = pins.get(node.id);
  if (!pin)
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `pi ${node.id} has no pinned host key in ${pins.path} yet; let the daemon (or pirack apply --once) reach it first: it pins the key at first contact`,
      { where: `pi ${node.id}` },
    );
  if (pin.quarantine)
    throw pirackError(
      'PIRACK_ERR_SSH_HOSTKEY_CHANGED',
      `pi ${node.id} is quarantined: it showed ${pin.quarantine.fingerprint} instead of the pinned ${pin.fingerprint}; check it, then pirack hostkey repin ${node.id}`,
      { where: `pi ${node.id}` },
    );
  const port = String(rack.ssh.port);
  const scanned = await capture('ssh-keyscan', ['-T', '5', '-p', port, node.ip], 15_000);
  const good = matchingKeys(scanned, pin.fingerprint);
  if (good.length === 0)
    throw pirackError(
      'PIRACK_ERR_SSH_HOSTKEY_CHANGED',
      `pi ${node.id} at ${node.ip} did not offer its pinned host key ${pin.fingerprint}${scanned.trim() === '' ? ' (no answer on port ' + port + ')' : ''}: not connecting`,
      { where: `pi ${node.id}` },
    );
  const dir = await mkdtemp(join(tmpdir(), 'pirack-ssh-'));
  try {
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${good.join('\n')}\n`, { mode: 0o600 });
    const args = [
      '-i',
      rack.ssh.keyFile,
      '-p',
      port,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      ...(command === undefined ? ['-t'] : []),
      `${rack.ssh.user}@${node.ip}`,
      ...(command === undefined ? [] : [command]),
    ];
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('ssh', args, { stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
