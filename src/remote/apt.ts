/**
 * The apt-get command line PiRack runs on a Pi (the packages controller, `pirack upgrade`):
 * non-interactive, waiting for the dpkg lock, keeping changed configuration files, and through
 * rack.yaml's master.aptProxy when set. The proxy goes on the command line (`-o
 * Acquire::http::Proxy=…`) rather than in a file on the Pi, so a fresh Pi that reaches no mirror
 * without it installs its first packages through the master's cache, before the files controller
 * has written anything. Every word is quoted by shellCommand: the URL comes from rack.yaml.
 */
import { shellCommand } from '../ssh/quote.ts';

export interface AptOptions {
  /** policies.dpkgLockTimeout, in seconds. */
  readonly lockTimeoutSeconds: number;
  /** master.aptProxy (NodeSpec.aptProxy), e.g. http://192.168.23.11:3142. */
  readonly proxy?: string;
}

/** The words of `apt-get` before its command (install, update, ...). */
export function aptGetArgv(options: AptOptions): string[] {
  const lock = Math.max(0, Math.round(options.lockTimeoutSeconds));
  return [
    'apt-get',
    '-q',
    '-y',
    '-o',
    `DPkg::Lock::Timeout=${lock}`,
    '-o',
    'Dpkg::Options::=--force-confdef',
    '-o',
    'Dpkg::Options::=--force-confold',
    ...(options.proxy !== undefined ? ['-o', `Acquire::http::Proxy=${options.proxy}`] : []),
  ];
}

/** `apt-get …` as shell text, each word quoted; append the command and its quoted arguments. */
export function aptGet(options: AptOptions): string {
  return shellCommand(aptGetArgv(options));
}

/** Set before every apt-get, so no package asks a question. */
export const APT_ENV = 'export DEBIAN_FRONTEND=noninteractive';
