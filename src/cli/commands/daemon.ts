/**
 * `pirack daemon`: reconcile continuously to rack.yaml (a file, or the committed file of a git
 * branch), serve the API and dashboard, write status.json. Ctrl-C stops it cleanly: running SSH
 * commands are cancelled and no relay is touched.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { pirackError } from '../../errors.ts';
import { serveDaemon, type ServeOptions } from '../../daemon/serve.ts';
import { createLogger } from '../../log.ts';
import { createFileSource } from '../../source/file.ts';
import { createGitSource } from '../../source/git.ts';
import type { DesiredSource } from '../../source/types.ts';
import { parseDurationOption, parseListen } from '../parse.ts';
import { addRackOptions, type RackOptions } from '../common.ts';

interface DaemonCliOptions extends RackOptions {
  git?: string;
  branch: string;
  path: string;
  remote?: string;
  fetchInterval: string;
  listen: string;
  http: boolean;
  readAccess: 'public' | 'authenticated';
  adminTokenFile?: string;
  secureCookie: boolean;
  trustProxy: string[];
  watchStream: boolean;
  legacyClient?: string;
}

export function daemonCommand(): Command {
  return addRackOptions(new Command('daemon'))
    .description('reconcile the rack continuously to rack.yaml and serve the API and dashboard')
    .option(
      '--git <repo>',
      'read the committed rack.yaml of a branch in this git repository instead of --rack (uncommitted edits are ignored)',
    )
    .option('--branch <name>', 'branch to follow with --git', 'main')
    .option('--path <file>', 'rack.yaml path inside the repository with --git', 'rack.yaml')
    .option('--remote <name>', 'with --git: fetch this remote on an interval and follow <remote>/<branch>')
    .option('--fetch-interval <duration>', 'with --remote: how often to fetch', '60s')
    .option('--listen <host:port>', 'HTTP API and dashboard address', '127.0.0.1:8080')
    .option('--no-http', 'do not serve the API and dashboard')
    .option('--no-watch-stream', 'do not open the watch stream to each Pi: drift and dead Pis are seen at the resync only')
    .addOption(new Option('--read-access <who>', 'who may read status over HTTP').choices(['public', 'authenticated']).default('public'))
    .option(
      '--admin-token-file <file>',
      'admin token for mutations (else env PIRACK_ADMIN_TOKEN, else created in the state dir and shown once)',
    )
    .option('--secure-cookie', 'mark the dashboard session cookie Secure (when a TLS reverse proxy serves it)', false)
    .option(
      '--trust-proxy <address>',
      'believe X-Forwarded-For/-Host/-Proto from this reverse proxy (address or CIDR, repeatable, or loopback)',
      collect,
      [] as string[],
    )
    .option('--legacy-client <dir>', "serve a legacy client's static files (the original's web client) from <dir> under /legacy/")
    .action(async (opts: DaemonCliOptions) => {
      const log = createLogger();
      const source = makeSource(opts, (err) => log.error({ err }, 'cannot read the desired state; keeping the last good revision'));
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const running = await serveDaemon({
        source,
        stateDir: opts.stateDir,
        log,
        ...(opts.watchStream ? {} : { watchStream: false }),
        ...(opts.http ? { http: httpOptions(opts) } : {}),
      });
      if (running.token?.created && process.env.PIRACK_LOG_FORMAT === 'journal') {
        // Under systemd stderr is the journal, which every adm-group user may read.
        log.warn(`created the admin token in ${opts.stateDir}/admin-token; it is not shown in the journal (read the file as root)`);
      } else if (running.token?.created) {
        process.stderr.write(`\nAdmin token (shown once; kept 0600 in ${opts.stateDir}/admin-token):\n  ${running.token.token}\n\n`);
      }
      if (running.url) log.info(`dashboard and API on ${running.url}`);
      await new Promise<void>((done) => stop.signal.addEventListener('abort', () => done(), { once: true }));
      await running.stop();
    });
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

/** `--trust-proxy` values, checked here so a typo is a usage error rather than a failed start. */
function collect(value: string, previous: string[]): string[] {
  const values = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const v of values) {
    if (!PROXY_NAMES.has(v) && !ipaddr.isValid(v) && !isCidr(v)) {
      throw pirackError('PIRACK_ERR_USAGE', `--trust-proxy expects an address, a CIDR such as 10.0.0.0/8, or loopback, got "${v}"`);
    }
  }
  return [...previous, ...values];
}

/** The daemon's HTTP settings from its command line (SECURITY.md lists them with their defaults). */
export function httpOptions(
  opts: Pick<DaemonCliOptions, 'listen' | 'readAccess' | 'adminTokenFile' | 'secureCookie' | 'trustProxy' | 'legacyClient'>,
): NonNullable<ServeOptions['http']> {
  return {
    ...parseListen(opts.listen),
    readAccess: opts.readAccess,
    secureCookie: opts.secureCookie,
    trustProxy: opts.trustProxy,
    ...(opts.adminTokenFile ? { adminTokenFile: opts.adminTokenFile } : {}),
    ...(opts.legacyClient !== undefined ? { legacyClientDir: resolve(opts.legacyClient) } : {}),
  };
}

function makeSource(opts: DaemonCliOptions, onError: (err: Error) => void): DesiredSource {
  if (opts.git) {
    return createGitSource({
      repoDir: resolve(opts.git),
      branch: opts.branch,
      path: opts.path,
      onError,
      allowedSourceDirs: opts.allowSource,
      ...(opts.remote
        ? { remote: { name: opts.remote, fetchIntervalMs: parseDurationOption(opts.fetchInterval, '--fetch-interval') } }
        : {}),
    });
  }
  return createFileSource({ path: resolve(opts.rack), debounceMs: 100, onError, allowedSourceDirs: opts.allowSource });
}
