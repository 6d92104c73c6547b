/**
 * `pirack daemon`: reconcile continuously to rack.yaml (a file, or the committed file of a git
 * branch), serve the API and dashboard, write status.json. Ctrl-C stops it cleanly: running SSH
 * commands are cancelled and no relay is touched.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { serveDaemon } from '../../daemon/serve.ts';
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
}

export function daemonCommand(): Command {
  return addRackOptions(new Command('daemon'))
    .description('reconcile the rack continuously to rack.yaml and serve the API and dashboard')
    .option('--git <repo>', 'read the committed rack.yaml of a branch in this git repository instead of --rack (uncommitted edits are ignored)')
    .option('--branch <name>', 'branch to follow with --git', 'main')
    .option('--path <file>', 'rack.yaml path inside the repository with --git', 'rack.yaml')
    .option('--remote <name>', 'with --git: fetch this remote on an interval and follow <remote>/<branch>')
    .option('--fetch-interval <duration>', 'with --remote: how often to fetch', '60s')
    .option('--listen <host:port>', 'HTTP API and dashboard address', '127.0.0.1:8080')
    .option('--no-http', 'do not serve the API and dashboard')
    .addOption(new Option('--read-access <who>', 'who may read status over HTTP').choices(['public', 'authenticated']).default('public'))
    .option('--admin-token-file <file>', 'admin token for mutations (else env PIRACK_ADMIN_TOKEN, else created in the state dir and shown once)')
    .action(async (opts: DaemonCliOptions) => {
      const log = createLogger();
      const listen = parseListen(opts.listen);
      const source = makeSource(opts, (err) => log.error({ err }, 'cannot read the desired state; keeping the last good revision'));
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const running = await serveDaemon({
        source,
        stateDir: opts.stateDir,
        log,
        ...(opts.http ? { http: { ...listen, readAccess: opts.readAccess, ...(opts.adminTokenFile ? { adminTokenFile: opts.adminTokenFile } : {}) } } : {}),
      });
      if (running.token?.created) {
        process.stderr.write(`\nAdmin token (shown once; kept 0600 in ${opts.stateDir}/admin-token):\n  ${running.token.token}\n\n`);
      }
      if (running.url) log.info(`dashboard and API on ${running.url}`);
      await new Promise<void>((done) => stop.signal.addEventListener('abort', () => done(), { once: true }));
      await running.stop();
    });
}

function makeSource(opts: DaemonCliOptions, onError: (err: Error) => void): DesiredSource {
  if (opts.git) {
    return createGitSource({
      repoDir: resolve(opts.git),
      branch: opts.branch,
      path: opts.path,
      onError,
      allowedSourceDirs: opts.allowSource,
      ...(opts.remote ? { remote: { name: opts.remote, fetchIntervalMs: parseDurationOption(opts.fetchInterval, '--fetch-interval') } } : {}),
    });
  }
  return createFileSource({ path: resolve(opts.rack), debounceMs: 100, onError, allowedSourceDirs: opts.allowSource });
}

