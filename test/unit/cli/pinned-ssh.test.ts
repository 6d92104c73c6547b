import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { journalCommand } from '../../../src/cli/commands/ssh.ts';
import { matchingKeys } from '../../../src/cli/pinned-ssh.ts';

const blob = (seed: string) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from(seed.padEnd(32, 'x'))]);
const fp = (b: Buffer) => `SHA256:${createHash('sha256').update(b).digest('base64').replace(/=+$/, '')}`;

describe('pirack ssh: known_hosts from the pin, never trust on first use', () => {
  it('keeps only the scanned key whose fingerprint is the pinned one', () => {
    const pinned = blob('pinned');
    const other = blob('impostor');
    const scanned = `# 10.0.0.1:22 SSH-2.0-OpenSSH_9.2\n10.0.0.1 ssh-ed25519 ${other.toString('base64')}\n10.0.0.1 ssh-ed25519 ${pinned.toString('base64')}\n`;
    expect(matchingKeys(scanned, fp(pinned))).toEqual([`10.0.0.1 ssh-ed25519 ${pinned.toString('base64')}`]);
    expect(matchingKeys(`10.0.0.1 ssh-ed25519 ${other.toString('base64')}\n`, fp(pinned))).toEqual([]);
    expect(matchingKeys('', fp(pinned))).toEqual([]);
  });

  it('quotes the unit for the Pi', () => {
    expect(journalCommand({ lines: 50 })).toBe('journalctl --no-pager -n 50');
    expect(journalCommand({ unit: 'pirack-slave.service', follow: true, lines: 10 })).toBe(
      'journalctl --no-pager -n 10 -u pirack-slave.service -f',
    );
    expect(journalCommand({ unit: "x; rm -rf /'", lines: 1 })).toBe("journalctl --no-pager -n 1 -u 'x; rm -rf /'\\'''");
  });
});
