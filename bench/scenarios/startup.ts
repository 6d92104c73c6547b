/**
 * Scenario 6: what the build step (issue 12) buys. The same commands from the TypeScript
 * sources through tsx (src/cli/pirack.mjs, how `pirack` ran before the build) and from dist/
 * (dist/cli/pirack.js, the bundled command line an installed `pirack` runs), run for run alternately:
 *   - `pirack --help`: wall time from spawn to exit, CPU time and peak RSS of the node process;
 *   - `pirack validate --rack rack.yaml` (the committed 48-Pi rack): wall and CPU time;
 *   - `pirack daemon --no-http` at rest against a 3-Pi rack on loopback whose SSH port is closed
 *     (no lab needed; the Pis never answer, so it retries with backoff): VmRSS, plus its children
 *     (tsx's esbuild service).
 * dist/ is built first (scripts/build.ts), so it is the current sources. The two CLI commands also
 * run from the unbundled compiled tree (dist/src/cli/bin.js, what `pirack` ran before the bundle),
 * so the bundle's gain is measured under the same load.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SCENARIO_TITLES, failed, type Row, type ScenarioResult } from '../lib/results.ts';
import { parseVmRss } from '../lib/proc-sample.ts';
import type { RunProcess } from '../lib/process.ts';
import { summarize } from '../lib/stats.ts';
import { checkTarget } from '../lib/targets.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FROM_SOURCE = join(ROOT, 'src/cli/pirack.mjs');
export const FROM_DIST = join(ROOT, 'dist/cli/pirack.js');
export const FROM_UNBUNDLED = join(ROOT, 'dist/src/cli/bin.js');
const REPORT_RSS = join(ROOT, 'bench/lib/report-rss.mjs');
const COMMITTED_RACK = join(ROOT, 'rack.yaml');

export interface StartupOptions {
  readonly runs: number;
  readonly restSeconds: number;
  readonly tmp: string;
  readonly run: RunProcess;
  readonly progress: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal;
}

interface Timed {
  readonly ms: number;
  readonly maxRssKb: number;
  readonly cpuUs: number;
}

async function timed(entry: string, args: readonly string[], rssFile: string): Promise<Timed> {
  await rm(rssFile, { force: true });
  const t0 = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REPORT_RSS, entry, ...args], {
      stdio: 'ignore',
      env: { ...process.env, PIRACK_LOG_LEVEL: 'warn', PIRACK_BENCH_RSS_FILE: rssFile },
    });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c ?? 1));
  });
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`\`node ${entry} ${args.join(' ')}\` exited with ${code}`);
  const usage = JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKb: number; cpuUs: number };
  return { ms, ...usage };
}

/** A rack whose Pis sit on loopback behind a closed port: the daemon only ever talks to 127/8. */
function loopbackRack(dir: string): string {
  return `apiVersion: pirack/v1
name: bench-startup
grid: { rows: 1, cols: 1 }
network:
  subnet: 127.0.0.0/24
  master: 127.0.0.1
  gateway: 127.0.0.1
  dhcp:
    dynamicRange: [127.0.0.200, 127.0.0.250]
    hostsFile: ${dir}/dhcp-hosts
    leasesFile: ${dir}/leases
    pidFile: ${dir}/dnsmasq.pid
ssh:
  port: 9
  keyFile: ${dir}/id_ed25519
relay:
  driver: manual
stacks:
  - id: 1
    x: 1
    y: 1
    relayPin: 18
    pis:
      - { id: 1, ip: 127.0.0.70, mac: "02:00:00:00:00:01" }
      - { id: 2, ip: 127.0.0.71, mac: "02:00:00:00:00:02" }
      - { id: 3, ip: 127.0.0.72, mac: "02:00:00:00:00:03" }
`;
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const direct = text.split(/\s+/).filter(Boolean).map(Number);
  return [...direct, ...(await Promise.all(direct.map(childrenOf))).flat()];
}

async function rssKb(pid: number): Promise<number> {
  return parseVmRss(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** The daemon's VmRSS (and with its children) once a second, after it settled. */
async function daemonAtRest(entry: string, dir: string, options: StartupOptions): Promise<{ own: number[]; tree: number[] }> {
  const stateDir = join(dir, `state-${entry === FROM_DIST ? 'dist' : 'tsx'}`);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [entry, 'daemon', '--rack', join(dir, 'rack.yaml'), '--state-dir', stateDir, '--no-http'], {
    stdio: 'ignore',
    env: { ...process.env, PIRACK_LOG_LEVEL: 'error' },
  });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not start `pirack daemon`');
    await options.sleep(10_000);
    const own: number[] = [];
    const tree: number[] = [];
    for (let i = 0; i < options.restSeconds; i++) {
      if (child.exitCode !== null) throw new Error(`\`pirack daemon\` exited with ${child.exitCode}`);
      const mine = await rssKb(pid);
      const others = await Promise.all((await childrenOf(pid)).map((p) => rssKb(p).catch(() => 0)));
      own.push(mine / 1024);
      tree.push((mine + others.reduce((a, b) => a + b, 0)) / 1024);
      await options.sleep(1000);
    }
    return { own, tree };
  } finally {
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await options.sleep(100);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export async function startupScenario(options: StartupOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  options.progress('startup: building dist/ (scripts/build.ts)');
  const built = await options.run(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/build.ts')], {
    timeoutMs: 600_000,
  });
  if (built.code !== 0) return failed('startup', `npm run build failed: ${built.stderr.trim().split('\n').at(-1) ?? ''}`, 0, elapsed());
  const dir = join(options.tmp, 'startup');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'rack.yaml'), loopbackRack(dir));
  const key = await options.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')], { timeoutMs: 30_000 });
  if (key.code !== 0) return failed('startup', `ssh-keygen failed: ${key.stderr.trim()}`, 0, elapsed());

  const rssFile = join(dir, 'maxrss');
  const help = { tsx: [] as Timed[], unbundled: [] as Timed[], dist: [] as Timed[] };
  const validate = { tsx: [] as Timed[], unbundled: [] as Timed[], dist: [] as Timed[] };
  for (let i = 0; i < options.runs; i++) {
    if (options.signal.aborted) throw new Error('cancelled');
    options.progress(`startup: run ${i + 1}/${options.runs}`);
    for (const [side, entry] of [
      ['tsx', FROM_SOURCE],
      ['unbundled', FROM_UNBUNDLED],
      ['dist', FROM_DIST],
    ] as const) {
      help[side].push(await timed(entry, ['--help'], rssFile));
      validate[side].push(await timed(entry, ['validate', '--rack', COMMITTED_RACK], rssFile));
    }
  }
  options.progress(`startup: daemon at rest, ${options.restSeconds} s each`);
  const restTsx = await daemonAtRest(FROM_SOURCE, dir, options);
  const restDist = await daemonAtRest(FROM_DIST, dir, options);

  const s = (xs: readonly Timed[]) =>
    summarize(
      xs.map((x) => x.ms),
      'ms',
    );
  const cpu = (xs: readonly Timed[]) =>
    summarize(
      xs.map((x) => x.cpuUs / 1000),
      'ms',
    );
  const m = (xs: readonly Timed[]) =>
    summarize(
      xs.map((x) => x.maxRssKb / 1024),
      'MB',
    );
  const ratio = (a: readonly Timed[], b: readonly Timed[]) =>
    summarize(
      a.map((x, i) => x.ms / b[i]!.ms),
      'x',
    );
  const helpDist = s(help.dist);
  const validateDist = s(validate.dist);
  const rows: Row[] = [
    { label: '`pirack --help`, tsx (sources)', summary: s(help.tsx) },
    { label: '`pirack --help`, dist/', summary: helpDist, target: checkTarget('cliStart', helpDist.median) },
    { label: '`pirack --help`, dist/src/ unbundled', summary: s(help.unbundled), note: 'before the bundle' },
    { label: '`pirack --help`: tsx / dist', summary: ratio(help.tsx, help.dist) },
    { label: '`pirack --help` CPU time, tsx', summary: cpu(help.tsx), note: 'user + system, node process only' },
    { label: '`pirack --help` CPU time, dist/', summary: cpu(help.dist) },
    { label: '`pirack --help` CPU time, dist/src/ unbundled', summary: cpu(help.unbundled) },
    { label: '`pirack --help` peak RSS, tsx', summary: m(help.tsx), note: 'node process only; tsx adds an esbuild child' },
    { label: '`pirack --help` peak RSS, dist/', summary: m(help.dist) },
    { label: '`pirack --help` peak RSS, dist/src/ unbundled', summary: m(help.unbundled) },
    { label: '`pirack validate` (48 Pis), tsx', summary: s(validate.tsx) },
    { label: '`pirack validate` (48 Pis), dist/', summary: validateDist, target: checkTarget('cliStart', validateDist.median) },
    { label: '`pirack validate` (48 Pis), dist/src/ unbundled', summary: s(validate.unbundled), note: 'before the bundle' },
    { label: '`pirack validate`: tsx / dist', summary: ratio(validate.tsx, validate.dist) },
    { label: '`pirack validate`: unbundled / dist', summary: ratio(validate.unbundled, validate.dist) },
    { label: '`pirack validate` CPU time, tsx', summary: cpu(validate.tsx) },
    { label: '`pirack validate` CPU time, dist/', summary: cpu(validate.dist) },
    { label: '`pirack validate` CPU time, dist/src/ unbundled', summary: cpu(validate.unbundled) },
    { label: 'daemon at rest VmRSS, tsx', summary: summarize(restTsx.own, 'MB') },
    { label: 'daemon at rest VmRSS + children, tsx', summary: summarize(restTsx.tree, 'MB'), note: 'with the esbuild service' },
    { label: 'daemon at rest VmRSS, dist/', summary: summarize(restDist.own, 'MB') },
    { label: 'daemon at rest VmRSS + children, dist/', summary: summarize(restDist.tree, 'MB') },
  ];
  return {
    id: 'startup',
    title: SCENARIO_TITLES.startup,
    status: 'ok',
    pis: 3,
    rows,
    notes: [
      `${options.runs} runs of each command, tsx, dist/src/ unbundled and dist/ (the bundle, dist/cli/pirack.js) in turn; wall time from spawn to exit; CPU time and peak RSS from getrusage in the child (bench/lib/report-rss.mjs).`,
      '`validate` checks the committed rack.yaml (48 Pis, 4 stacks), with the slave bundle: esbuild at run time from the sources, the pre-built file from dist/.',
      `The daemon: \`pirack daemon --no-http\` against a 3-Pi rack on loopback with a closed SSH port and the manual relay (no lab), sampled once a second for ${options.restSeconds} s after 10 s. It is not the 48-Pi lab of scenario 4.`,
    ],
    durationMs: elapsed(),
  };
}
