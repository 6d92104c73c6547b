/** Host key identity as OpenSSH prints it, so pins can be compared with `ssh-keygen -lf` by hand. */
import { createHash } from 'node:crypto';

/** `SHA256:<base64 without padding>` of the key blob, exactly as `ssh-keygen -l -E sha256`. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH wire-format public key blob, e.g. `ssh-ed25519`. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}
