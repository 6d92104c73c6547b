/**
 * The Debian packages the virtual rack needs (src/lab/debian-packages.txt), installed when some
 * are missing, so the README's two commands work on a fresh machine. One list for the demo, the
 * test setup and CI.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pirackError } from '../errors.ts';

const LIST = fileURLToPath(new URL('./debian-packages.txt', import.meta.url));

export function labDebianPackages(): string[] {
  return readFileSync(LIST, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

export function missingDebianPackages(packages = labDebianPackages()): string[] {
  return packages.filter((name) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).startsWith('ii');
    } catch {
      return true;
    }
  });
}

/** Installs what is missing with apt-get (root). Returns what it installed. */
export function ensureDebianPackages(progress: (line: string) => void = () => undefined): string[] {
  const missing = missingDebianPackages();
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw pirackError('PIRACK_ERR_LAB', `the virtual rack needs Debian packages ${missing.join(' ')}; run as root or install them with apt-get`);
  }
  progress(`installing Debian packages: ${missing.join(' ')} (apt-get, one time)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (cause) {
    throw pirackError('PIRACK_ERR_LAB', `apt-get could not install ${missing.join(' ')}`, { cause });
  }
  return missing;
}
