/**
 * The programs PiRack starts on the host and the Debian packages they come from
 * (src/deps/host-tools.txt). The demo, the test setup and .ci/run install every package in it,
 * so nothing works only because a machine happened to have a program from an earlier run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pirackError } from '../errors.ts';

export const HOST_TOOLS_FILE = fileURLToPath(new URL('./host-tools.txt', import.meta.url));

export interface HostTool {
  /** As spawned: a name looked up on PATH, or an absolute path; undefined for a data package. */
  readonly executable: string | undefined;
  readonly package: string;
}

export function parseHostTools(text: string): HostTool[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line, i) => {
      const [executable, pkg, extra] = line.split(/\s+/);
      if (!executable || !pkg || extra !== undefined)
        throw new Error(`${HOST_TOOLS_FILE}: line ${i + 1} is not "executable package": ${line}`);
      return { executable: executable === '-' ? undefined : executable, package: pkg };
    });
}

export function hostTools(): HostTool[] {
  return parseHostTools(readFileSync(HOST_TOOLS_FILE, 'utf8'));
}

export function hostPackages(tools = hostTools()): string[] {
  return [...new Set(tools.map((t) => t.package))].sort();
}

/** The entry for a program as code spawns it (`/usr/sbin/dnsmasq` matches `dnsmasq`). */
export function findHostTool(spawned: string, tools = hostTools()): HostTool | undefined {
  return (
    tools.find((t) => t.executable === spawned) ??
    tools.find((t) => t.executable !== undefined && basename(t.executable) === basename(spawned))
  );
}

export function missingDebianPackages(packages = hostPackages()): string[] {
  return packages.filter((name) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).startsWith('ii');
    } catch {
      return true;
    }
  });
}

/** Installs every package of the list that is missing (apt-get, as root). Returns what it installed. */
export function ensureHostPackages(progress: (line: string) => void = () => undefined): string[] {
  const missing = missingDebianPackages();
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw pirackError(
      'PIRACK_ERR_LAB',
      `PiRack's tests, lab and benchmarks need Debian packages ${missing.join(' ')}; run as root or install them with apt-get`,
    );
  }
  progress(`installing Debian packages: ${missing.join(' ')} (apt-get, one time)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (cause) {
    throw pirackError('PIRACK_ERR_LAB', `apt-get could not install ${missing.join(' ')}`, { cause });
  }
  return missing;
}
