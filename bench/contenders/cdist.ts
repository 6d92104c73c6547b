/**
 * The cdist contender: Debian's `cdist config` with an initial manifest generated from the loaded
 * rack (cdist-manifest.ts), against every Pi at once (`-p`). cdist reaches a host only through
 * the two commands it is given, `--remote-exec` (behaves like ssh) and `--remote-copy` (like
 * scp); the bench writes both as small wrapper scripts with the lab's key, port and known_hosts
 * file, multiplexed over one master connection per Pi as Ansible's and the baseline's are.
 *
 * First contact (converge from blank) is by password, the way Ansible's is: the wrappers run ssh
 * and scp under `sshpass -f <bootstrap password file>`, and cdist's own __ssh_authorized_keys
 * installs the key in the same, timed run. Nothing is done for cdist outside its run.
 *
 * A run succeeds when every Pi logged "Finished successful run"; cdist logs one line per object
 * it changed ("Processing …"), which is what `changed` counts.
 */
import { availableParallelism } from 'node:os';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import type { NodeSpec, RackSpec } from '../../src/model/desired.ts';
import { shellCommand } from '../../src/ssh/quote.ts';
import { lastLine, type RunProcess } from '../lib/process.ts';
import { assertUniform } from './ansible.ts';
import { cdistManifest } from './cdist-manifest.ts';
import type { PassOutcome } from './types.ts';

export interface WrapperOptions {
  readonly user: string;
  readonly port: number;
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** Master sockets live here (%C: one per host); keep it short, a socket path is at most 108 bytes. */
  readonly controlDir: string;
  readonly connectTimeoutS: number;
  readonly persistS: number;
  /** First contact by password: ssh and scp run under `sshpass -f` with this file. */
  readonly passwordFile?: string;
}

/** The options ssh and scp share; host key checking off only for the lab's throwaway Pis. */
function sshOptions(o: WrapperOptions): string[] {
  return [
    '-o',
    `User=${o.user}`,
    '-i',
    o.keyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${o.knownHostsFile}`,
    '-o',
    `ConnectTimeout=${o.connectTimeoutS}`,
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${o.controlDir}/%C`,
    '-o',
    `ControlPersist=${o.persistS}s`,
    // Without a password nothing may wait for one; with it, sshpass answers the prompt.
    ...(o.passwordFile ? [] : ['-o', 'BatchMode=yes']),
  ];
}

function wrapper(what: string, argv: readonly string[], o: WrapperOptions): string {
  const command = o.passwordFile ? ['sshpass', '-f', o.passwordFile, ...argv] : argv;
  return [
    '#!/bin/sh',
    `# cdist's ${what} for the bench (bench/contenders/cdist.ts); cdist appends the host and the rest.`,
    `exec ${shellCommand(command)} "$@"`,
    '',
  ].join('\n');
}

/** `--remote-exec`: cdist runs `<this> <host> <command…>`. */
export function remoteExecScript(o: WrapperOptions): string {
  return wrapper('--remote-exec', ['ssh', '-p', String(o.port), ...sshOptions(o)], o);
}

/** `--remote-copy`: cdist runs `<this> <source…> <host>:<destination>`. */
export function remoteCopyScript(o: WrapperOptions): string {
  return wrapper('--remote-copy', ['scp', '-q', '-P', String(o.port), ...sshOptions(o)], o);
}

export interface CdistWorkspace {
  readonly manifest: string;
  readonly remoteExec: string;
  readonly remoteCopy: string;
  /** cdist's HOME: its cache (~/.cdist) stays in the bench's temp dir. */
  readonly home: string;
  /** cdist's TMPDIR: its per-run output (kept after a failure) stays there too. */
  readonly tmpDir: string;
  readonly controlDir: string;
}

/** Where the bench puts the content of managed file `index` (the same naming as Ansible's). */
export function fileSource(filesDir: string, index: number, path: string): string {
  return join(filesDir, `${index}-${basename(path)}`);
}

/**
 * Writes the manifest, the files' contents and the two wrappers under `dir`. cdist splits the
 * wrapper commands on blanks, so `dir` must have none.
 */
export async function writeCdistWorkspace(
  dir: string,
  rack: RackSpec,
  nodes: readonly NodeSpec[],
  withPassword: boolean,
): Promise<CdistWorkspace> {
  if (/\s/.test(dir)) throw new Error(`the cdist workspace ${JSON.stringify(dir)} contains a blank; cdist splits --remote-exec on blanks`);
  const model = assertUniform(nodes, 'cdist');
  const bootstrap = rack.ssh.bootstrap;
  if (withPassword && !bootstrap) throw new Error('converge from blank needs ssh.bootstrap.passwordFile in the rack');
  const filesDir = join(dir, 'files');
  const ws: CdistWorkspace = {
    manifest: join(dir, withPassword ? 'manifest-bootstrap' : 'manifest'),
    remoteExec: join(dir, withPassword ? 'remote-exec-bootstrap' : 'remote-exec'),
    remoteCopy: join(dir, withPassword ? 'remote-copy-bootstrap' : 'remote-copy'),
    home: join(dir, 'home'),
    tmpDir: join(dir, 'tmp'),
    controlDir: join(dir, 'cm'),
  };
  for (const d of [filesDir, ws.home, ws.tmpDir, ws.controlDir]) await mkdir(d, { recursive: true, mode: 0o700 });
  await Promise.all(model.files.map((f, i) => writeFile(fileSource(filesDir, i, f.path), f.content, { mode: 0o600 })));
  const wrapperOptions: WrapperOptions = {
    user: withPassword && bootstrap ? bootstrap.user : rack.ssh.user,
    port: rack.ssh.port,
    keyFile: rack.ssh.keyFile,
    knownHostsFile: join(dir, 'known_hosts'),
    controlDir: ws.controlDir,
    connectTimeoutS: Math.max(1, Math.round(rack.ssh.connectTimeoutMs / 1000)),
    persistS: 60,
    ...(withPassword && bootstrap ? { passwordFile: bootstrap.passwordFile } : {}),
  };
  const manifest = cdistManifest({
    model,
    aptMaxAgeSeconds: Math.round(rack.policies.aptListsMaxAgeMs / 1000),
    sourceOf: (i, f) => fileSource(filesDir, i, f.path),
  });
  await writeFile(ws.manifest, manifest, { mode: 0o600 });
  await writeFile(ws.remoteExec, remoteExecScript(wrapperOptions), { mode: 0o700 });
  await writeFile(ws.remoteCopy, remoteCopyScript(wrapperOptions), { mode: 0o700 });
  await chmod(ws.remoteExec, 0o700);
  await chmod(ws.remoteCopy, 0o700);
  return ws;
}

export interface CdistRunReport {
  /** Hosts that logged "Finished successful run". */
  readonly finished: ReadonlySet<string>;
  /** Objects changed, by host ("Processing …" lines). */
  readonly changed: ReadonlyMap<string, number>;
  /** The first error of each host, on one line. */
  readonly errors: ReadonlyMap<string, string>;
  /** Hosts named in cdist's closing "Failed to configure the following hosts:" line. */
  readonly failedHosts: ReadonlySet<string>;
}

/** `LEVEL: host: message`; with -p or -j cdist puts the worker's PID in between: `LEVEL: [pid]: host: message`. */
const LOG_LINE = /^(ERROR|WARNING|INFO|VERBOSE|DEBUG|TRACE): (?:\[\d+\]: )?([^:\s]+): (.*)$/;

/**
 * One line for an error block: cdist's first line names a script, the useful part is the object
 * ("Error processing object '…'") and the last line of its stderr.
 */
export function summarizeError(block: readonly string[]): string {
  const text = block.map((l) => l.trim()).filter((l) => l !== '' && !/^[-=]+$/.test(l));
  const object = text.map((l) => /^Error processing object '([^']+)'/.exec(l)?.[1]).find((o) => o !== undefined);
  const last = text.at(-1) ?? '';
  return (object && !last.includes(object) ? `${object}: ${last}` : last || (block[0] ?? '')).slice(0, 300);
}

/**
 * Reads cdist's log (`LEVEL: logger: message`, the logger being the host): INFO lines go to
 * stdout, ERROR lines to stderr, and an error continues on the lines after it up to the next log
 * line. The closing "Failed to configure the following hosts:" comes from the logger `cdist`.
 */
export function parseCdistOutput(output: string): CdistRunReport {
  const finished = new Set<string>();
  const changed = new Map<string, number>();
  const errors = new Map<string, string>();
  const failedHosts = new Set<string>();
  let open: { host: string; lines: string[] } | undefined;
  const close = (): void => {
    if (open && !errors.has(open.host)) errors.set(open.host, summarizeError(open.lines));
    open = undefined;
  };
  for (const line of output.split('\n')) {
    const m = LOG_LINE.exec(line);
    if (!m) {
      open?.lines.push(line);
      continue;
    }
    close();
    const [, level, host, message] = m as unknown as [string, string, string, string];
    const failed = /^Failed to configure the following hosts: (.*)$/.exec(message);
    if (level === 'ERROR' && failed) for (const h of failed[1]!.trim().split(/\s+/)) failedHosts.add(h);
    else if (level === 'ERROR') open = { host, lines: [message] };
    else if (level === 'INFO' && message.startsWith('Finished successful run')) finished.add(host);
    else if (level === 'INFO' && message.startsWith('Processing ')) changed.set(host, (changed.get(host) ?? 0) + 1);
  }
  close();
  return { finished, changed, errors, failedHosts };
}

/** One line per Pi that did not finish, with cdist's own error when it gave one. */
export function cdistFailures(nodes: readonly NodeSpec[], report: CdistRunReport, exitCode: number, output: string): string[] {
  const failures: string[] = [];
  for (const node of nodes) {
    if (report.finished.has(node.ip)) continue;
    const why = report.errors.get(node.ip);
    failures.push(`pi ${node.id} (${node.ip}): ${report.failedHosts.has(node.ip) ? 'failed' : 'did not finish'}${why ? `: ${why}` : ''}`);
  }
  if (failures.length === 0 && exitCode !== 0) failures.push(`cdist exited ${exitCode}: ${lastLine(output)}`);
  return failures;
}

export interface CdistDeps {
  readonly run: RunProcess;
  readonly timeoutMs: number;
  /** Hosts configured at once (`-p`): every Pi, as Ansible's forks and the baseline reach them all. */
  readonly parallel: number;
  /** Jobs within each host (`-j`): cdist's default for a bare `-j`, the CPU count. */
  readonly jobs?: number;
  readonly log?: Logger;
}

/** Jobs per host: as given, or what a bare `-j` means to cdist (the CPU count). */
export function cdistJobs(deps: Pick<CdistDeps, 'jobs'>): number {
  return deps.jobs ?? availableParallelism();
}

export function cdistArgv(ws: CdistWorkspace, deps: CdistDeps, nodes: readonly NodeSpec[]): string[] {
  return [
    'config',
    '-v', // INFO: one "Processing" line per changed object and one "Finished" line per host
    '-i',
    ws.manifest,
    '-p',
    String(Math.max(1, deps.parallel)),
    '-j',
    String(cdistJobs(deps)),
    '--remote-exec',
    ws.remoteExec,
    '--remote-copy',
    ws.remoteCopy,
    ...nodes.map((n) => n.ip),
  ];
}

/** One `cdist config` over `nodes`, timed from spawn to exit. */
export async function cdistPass(
  deps: CdistDeps,
  ws: CdistWorkspace,
  nodes: readonly NodeSpec[],
  signal?: AbortSignal,
): Promise<PassOutcome & { readonly output: string }> {
  const result = await deps.run('cdist', cdistArgv(ws, deps, nodes), {
    timeoutMs: deps.timeoutMs,
    env: { ...process.env, HOME: ws.home, TMPDIR: ws.tmpDir },
    ...(signal ? { signal } : {}),
  });
  const output = `${result.stdout}\n${result.stderr}`;
  const report = parseCdistOutput(output);
  const failures = cdistFailures(nodes, report, result.code, output);
  const changed = [...report.changed.values()].reduce((a, b) => a + b, 0);
  if (failures.length > 0)
    deps.log?.warn({ stdout: result.stdout.slice(-20_000), stderr: result.stderr.slice(-10_000) }, 'cdist config failed');
  return { durationMs: result.durationMs, failures, changed, output: result.stdout };
}
