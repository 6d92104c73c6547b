/**
 * Global setup of the unit and fuzz projects: the host programs they start (git, ssh-keygen,
 * dash, …) come from src/deps/host-tools.txt and are installed when missing and we are root.
 * As another user a missing package is reported, and the tests needing it fail saying so.
 */
import { ensureHostPackages, missingDebianPackages } from '../../src/deps/host-tools.ts';

export function setup(): void {
  const say = (line: string) => process.stderr.write(`[setup] ${line}\n`);
  if (process.getuid?.() === 0) ensureHostPackages(say);
  else {
    const missing = missingDebianPackages();
    if (missing.length > 0) say(`not root: cannot install ${missing.join(' ')} (src/deps/host-tools.txt)`);
  }
}
