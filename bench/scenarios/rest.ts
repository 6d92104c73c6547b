/**
 * Scenario 4: `pirack daemon` at rest watching the lab's rack, as a child process with the
 * rack's own settings (its default resync interval). Once status.json says every Pi is Ready,
 * its resident memory and CPU time are sampled from /proc for the sampling window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_TITLES, failed, type ScenarioResult } from '../lib/results.ts';
import { sampleProcess, windowedCpu, type ProcSample } from '../lib/proc-sample.ts';
import { lastLine } from '../lib/process.ts';
import { summarize } from '../lib/stats.ts';
import { checkTarget } from '../lib/targets.ts';
import { checkAborted, type ScenarioEnv } from './env.ts';

export const PIRACK_BIN = fileURLToPath(new URL('../../src/cli/pirack.mjs', import.meta.url));

export interface RestOptions {
  /** The lab's rack.yaml, as the daemon reads it. */
  readonly rackYaml: string;
  readonly sampleSeconds: number;
  /** Bound on waiting for the daemon to report every Pi Ready. */
  readonly convergeTimeoutMs: number;
  readonly ticksPerSecond: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly clock: () => number;
}

interface StatusFile {
  readonly rack?: { readonly counts?: { readonly nodes?: number; readonly ready?: number } };
}

async function readyCount(statusPath: string): Promise<{ ready: number; nodes: number } | undefined> {
  try {
    const status = JSON.parse(await readFile(statusPath, 'utf8')) as StatusFile;
    const counts = status.rack?.counts;
    return counts?.nodes !== undefined && counts.ready !== undefined ? { ready: counts.ready, nodes: counts.nodes } : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, sleep: (ms: number) => Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function restScenario(env: ScenarioEnv, options: RestOptions): Promise<ScenarioResult> {
  const started = options.clock();
  const dir = join(env.tmp, 'rest');
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(dir, 'daemon.log');
  const fd = openSync(logFile, 'a');
  const elapsed = (): number => options.clock() - started;
  const child = spawn(process.execPath, [PIRACK_BIN, 'daemon', '--rack', options.rackYaml, '--state-dir', stateDir, '--no-http'], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PIRACK_LOG_LEVEL: 'warn' },
  });
  closeSync(fd);
  const daemonLog = async (): Promise<string> => lastLine(await readFile(logFile, 'utf8').catch(() => ''));
  try {
    const pid = child.pid;
    if (pid === undefined) return failed('rest', 'could not start `pirack daemon`', 0, elapsed());
    let counts: { ready: number; nodes: number } | undefined;
    const deadline = options.clock() + options.convergeTimeoutMs;
    while (options.clock() < deadline) {
      checkAborted(env.signal);
      if (child.exitCode !== null)
        return failed('rest', `\`pirack daemon\` exited with ${child.exitCode}: ${await daemonLog()}`, 0, elapsed());
      counts = await readyCount(join(stateDir, 'status.json'));
      if (counts && counts.nodes > 0 && counts.ready === counts.nodes) break;
      await options.sleep(500);
    }
    if (!counts || counts.ready !== counts.nodes || counts.nodes === 0) {
      return failed(
        'rest',
        `the daemon did not report every Pi Ready within ${options.convergeTimeoutMs / 1000} s (${counts ? `${counts.ready}/${counts.nodes}` : 'no status.json'}); last log line: ${await daemonLog()}`,
        counts?.nodes ?? 0,
        elapsed(),
      );
    }
    env.progress(`rest: daemon converged ${counts.nodes} Pis; sampling for ${options.sampleSeconds} s`);
    // A few seconds for the status write and the last pass's garbage to settle.
    await options.sleep(5000);
    const slaveStart = await slaveTicks(env, options.clock);
    const samples: ProcSample[] = [];
    for (let i = 0; i <= options.sampleSeconds; i++) {
      checkAborted(env.signal);
      if (child.exitCode !== null) return failed('rest', `the daemon exited while sampled: ${await daemonLog()}`, counts.nodes, elapsed());
      samples.push(await sampleProcess(pid, options.clock));
      if (i < options.sampleSeconds) await options.sleep(1000);
    }
    const slaveEnd = await slaveTicks(env, options.clock);
    const slaveCpu = slaveStart.flatMap((a) => {
      const b = slaveEnd.find((x) => x.pi === a.pi);
      return b && a.watching && b.watching ? [((b.ticks - a.ticks) / options.ticksPerSecond / ((b.at - a.at) / 1000)) * 100] : [];
    });
    const rss = summarize(
      samples.map((s) => s.rssKb / 1024),
      'MB',
    );
    const windowSamples = Math.min(10, samples.length - 1);
    const cpu = summarize(windowedCpu(samples, windowSamples, options.ticksPerSecond), '%');
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const overall = ((last.cpuTicks - first.cpuTicks) / options.ticksPerSecond / ((last.at - first.at) / 1000)) * 100;
    return {
      id: 'rest',
      title: SCENARIO_TITLES.rest,
      status: 'ok',
      pis: counts.nodes,
      rows: [
        {
          label: 'daemon resident memory (VmRSS)',
          summary: rss,
          target: checkTarget('restRss', rss.median),
          note: `${samples.length} samples`,
        },
        {
          label: `daemon CPU, % of one core per ${windowSamples} s window`,
          summary: cpu,
          target: checkTarget('restCpu', overall),
          note: `${cpu.runs.length} windows`,
        },
        { label: 'daemon CPU over the whole window', summary: summarize([overall], '%') },
        ...(slaveCpu.length > 0
          ? [
              {
                label: "a Pi's slave (watch + serve) CPU over the whole window, per Pi",
                summary: summarize(slaveCpu, '%'),
                target: checkTarget('slaveCpu', Math.max(...slaveCpu)),
                note: `${slaveCpu.length}/${slaveStart.length} Pis streaming`,
              },
            ]
          : [{ label: "a Pi's slave CPU", note: 'n/a: no Pi had a watch stream' }]),
      ],
      notes: [
        `\`pirack daemon --rack <lab>/rack.yaml --no-http\` as a child process, watching all ${counts.nodes} Pis of the lab with the rack's resync interval (${env.rack.policies.resyncIntervalMs / 1000} s) and keepalive (${env.rack.ssh.keepaliveIntervalMs / 1000} s).`,
        `The daemon holds one watch stream per Pi (the default): the figures include ${slaveCpu.length} live streams, each beating once a second. The slave's CPU is read inside each Pi from /proc/PID/stat of every pirack-slave process at the start and end of the window; its target is judged on the busiest Pi.`,
        `Sampled once a second for ${options.sampleSeconds} s after every Pi was Ready: VmRSS from /proc/PID/status, utime+stime from /proc/PID/stat (${options.ticksPerSecond} ticks/s). The CPU target is judged on the whole window.`,
      ],
      durationMs: elapsed(),
    };
  } finally {
    await stopChild(child, options.sleep);
  }
}

/** CPU ticks of every pirack-slave process inside each Pi (the watch stream's and the service's). */
async function slaveTicks(env: ScenarioEnv, clock: () => number): Promise<{ pi: number; ticks: number; at: number; watching: boolean }[]> {
  return Promise.all(
    env.nodes.map(async (n) => {
      const r = await env.lab.exec(
        n.id,
        "for p in $(pgrep -f '[p]irack-slave.js'); do echo \"$(cut -d' ' -f14,15 /proc/$p/stat 2>/dev/null) $(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)\"; done",
        { timeoutMs: 10_000 },
      );
      const at = clock();
      let ticks = 0;
      let watching = false;
      for (const line of r.stdout.split('\n')) {
        const [u, s, ...cmd] = line.trim().split(/\s+/);
        if (!u || !s) continue;
        ticks += Number(u) + Number(s);
        if (cmd.includes('watch')) watching = true;
      }
      return { pi: n.id, ticks, at, watching };
    }),
  );
}
