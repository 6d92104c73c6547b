/**
 * Scenario 3, the watch stream's half (issue 10): the daemon's engine at the rack's DEFAULT resync
 * (5m) with one watch stream per Pi, wired as `pirack daemon` wires it. Each trial makes one kind
 * of drift from inside a random Pi (not over SSH) and times until it is repaired: a stopped
 * service, an edited managed file, a removed package, the daemon's key removed from
 * authorized_keys. Then dead-Pi trials: a silent power-loss (no FIN, no RST) timed until the Pi
 * is reported unreachable, and after `--undo` from its sshd answering to Ready.
 */
import { join } from 'node:path';
import { openLiveWiring } from '../../src/daemon/live-wiring.ts';
import type { NodeSpec } from '../../src/model/desired.ts';
import { shellQuote } from '../../src/ssh/quote.ts';
import { benchRack, openPirack, warmUp } from '../contenders/pirack.ts';
import type { LabPort } from '../lib/lab-port.ts';
import type { Row } from '../lib/results.ts';
import { percentile, summarize } from '../lib/stats.ts';
import { seededRandom } from '../synthetic/model.ts';
import { checkAborted, type ScenarioEnv } from './env.ts';

export interface LiveOptions {
  /** Trials per kind of drift. */
  readonly trials: number;
  /** Power-loss trials. */
  readonly deadTrials: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly clock: () => number;
  readonly seed?: number;
}

export interface DriftKind {
  readonly name: string;
  /** Run inside the Pi to make the drift. */
  drift(node: NodeSpec): string;
  /** Exits 0 inside the Pi once repaired. */
  repaired(node: NodeSpec): string;
}

const SLAVE_UNIT = 'pirack-slave.service';
const UNIT_FILE = `/etc/systemd/system/${SLAVE_UNIT}`;

export const DRIFT_KINDS: readonly DriftKind[] = [
  { name: 'service stopped', drift: () => `systemctl stop ${SLAVE_UNIT}`, repaired: () => `systemctl is-active --quiet ${SLAVE_UNIT}` },
  {
    name: 'managed file edited',
    drift: () => `echo '# drift' >> ${UNIT_FILE}`,
    repaired: (n) =>
      `test "$(sha256sum ${UNIT_FILE} | cut -c1-64)" = ${shellQuote(n.files.find((f) => f.path === UNIT_FILE)?.sha256 ?? '')}`,
  },
  {
    name: 'package removed',
    drift: () => 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q bc >/dev/null 2>&1',
    repaired: () => "dpkg-query -W -f='${Status}' bc 2>/dev/null | grep -q '^install ok installed$'",
  },
  {
    name: 'key removed from authorized_keys',
    drift: (n) => `sed -i ${shellQuote(`\\|${keyBody(n)}|d`)} ~${n.authorizedKeys.user}/.ssh/authorized_keys`,
    repaired: (n) => `grep -qF ${shellQuote(keyBody(n))} ~${n.authorizedKeys.user}/.ssh/authorized_keys`,
  },
];

/** The base64 part of the Pi's first declared key (the daemon's own). */
function keyBody(n: NodeSpec): string {
  return n.authorizedKeys.keys[0]?.split(/\s+/)[1] ?? 'no-key-declared';
}

async function timeUntil(
  lab: LabPort,
  pi: number,
  cmd: string,
  since: number,
  o: LiveOptions,
  timeoutMs = 60_000,
): Promise<number | undefined> {
  while (o.clock() < since + timeoutMs) {
    if ((await lab.exec(pi, cmd, { timeoutMs: 10_000 })).code === 0) return o.clock() - since;
    await o.sleep(50);
  }
  return undefined;
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  o: LiveOptions,
  timeoutMs: number,
  everyMs = 50,
): Promise<number | undefined> {
  const since = o.clock();
  while (o.clock() < since + timeoutMs) {
    if (await check()) return o.clock() - since;
    await o.sleep(everyMs);
  }
  return undefined;
}

export async function liveRows(env: ScenarioEnv, o: LiveOptions): Promise<{ rows: Row[]; notes: string[]; error?: string }> {
  const ids = env.nodes.map((n) => n.id);
  const random = seededRandom(o.seed ?? 10);
  const rack = benchRack(env.rack, {});
  const pirack = await openPirack(rack, { stateDir: join(env.tmp, 'live', 'pirack-state'), log: env.log });
  const { runtime } = pirack;
  const live = openLiveWiring({
    ssh: runtime.ssh,
    store: runtime.store,
    enqueue: (key) => runtime.reconciler.enqueue(key),
    clock: { now: () => Date.now() },
    log: env.log.child({ component: 'stream' }),
  });
  const rows: Row[] = [];
  const isReady = (pi: number) =>
    runtime.tracker
      .report()
      .nodes.find((n) => n.id === pi)
      ?.conditions.find((c) => c.type === 'Ready')?.status === 'True';
  try {
    const warm = await warmUp(pirack, ids);
    if (warm.failures.length > 0) return { rows, notes: [], error: `the rack did not converge first: ${warm.failures[0]}` };
    runtime.reconciler.start();
    live.sync(rack);
    const streaming = await waitFor(() => live.liveCount() === ids.length, o, 60_000, 200);
    if (streaming === undefined) return { rows, notes: [], error: `only ${live.liveCount()}/${ids.length} Pis streaming after 60 s` };
    env.progress(`live: ${ids.length} Pis streaming`);
    for (const kind of DRIFT_KINDS) {
      const repairs: number[] = [];
      for (let trial = 1; trial <= o.trials; trial++) {
        checkAborted(env.signal);
        const node = env.nodes[Math.floor(random() * env.nodes.length)]!;
        // Apart by more than the coalescing windows, so a trial never rides on the last one's notice.
        await o.sleep(1_000 + Math.floor(random() * 1_000));
        const made = await env.lab.exec(node.id, kind.drift(node), { timeoutMs: 30_000 });
        const since = o.clock();
        if (made.code !== 0) return { rows, notes: [], error: `${kind.name} on pi ${node.id}: ${made.stderr.trim()}` };
        const took = await timeUntil(env.lab, node.id, kind.repaired(node), since, o);
        if (took === undefined) return { rows, notes: [], error: `${kind.name} on pi ${node.id} not repaired within 60 s` };
        repairs.push(took);
        env.progress(`live: ${kind.name} ${trial}/${o.trials} on pi ${node.id}: repaired in ${Math.round(took)} ms`);
      }
      rows.push(
        { label: `PiRack + stream, ${kind.name}: p50 (min – max)`, summary: summarize(repairs, 'ms') },
        {
          label: `PiRack + stream, ${kind.name}: p95`,
          summary: summarize([percentile(repairs, 95)], 'ms'),
          note: `${repairs.length} trials`,
        },
      );
    }
    const dead: number[] = [];
    const back: number[] = [];
    for (let trial = 1; trial <= o.deadTrials; trial++) {
      checkAborted(env.signal);
      const pi = ids[Math.floor(random() * ids.length)]!;
      await waitFor(() => live.liveCount() === ids.length && isReady(pi), o, 60_000, 200);
      if (!env.lab.fault) break;
      const cut = o.clock();
      await env.lab.fault(pi, 'power-loss', false);
      const seen = await waitFor(() => runtime.store.node(pi)?.reachable === false, o, 60_000);
      // From the cut (the link goes silent first thing in the lab's power-loss) to the report.
      const lost = o.clock() - cut;
      await env.lab.fault(pi, 'power-loss', true);
      if (seen === undefined) return { rows, notes: [], error: `pi ${pi} not reported unreachable within 60 s of a power-loss` };
      dead.push(lost);
      const sshd = await timeUntil(env.lab, pi, 'systemctl is-active --quiet ssh.service', o.clock(), o, 120_000);
      if (sshd === undefined) return { rows, notes: [], error: `pi ${pi}: sshd not answering within 120 s of --undo` };
      const answered = o.clock();
      const ready = await waitFor(() => isReady(pi) && runtime.store.node(pi)?.reachable === true, o, 120_000, 100);
      if (ready === undefined) return { rows, notes: [], error: `pi ${pi} not Ready within 120 s of its sshd answering` };
      back.push(o.clock() - answered);
      env.progress(
        `live: power-loss ${trial}/${o.deadTrials} on pi ${pi}: unreachable in ${Math.round(lost)} ms, Ready ${Math.round(o.clock() - answered)} ms after sshd`,
      );
    }
    if (dead.length > 0) {
      rows.push(
        { label: 'PiRack + stream, dead Pi (silent power-loss) detected: p50', summary: summarize(dead, 'ms') },
        { label: 'PiRack + stream, back from power-loss: Ready after sshd answers, p50', summary: summarize(back, 'ms') },
      );
    }
  } finally {
    live.stop();
    await runtime.reconciler.stop();
    await pirack.close();
  }
  return {
    rows,
    notes: [
      `With the stream: the engine as \`pirack daemon\` runs it, at the rack's default resyncInterval (${rack.policies.resyncIntervalMs / 1000} s), one watch stream per Pi; ${o.trials} trials per kind of drift on random Pis, each made from inside the Pi, timed until a check inside the Pi passes (polled every 50 ms).`,
      `Dead Pi: ${o.deadTrials} silent power-losses (the lab drops the Pi's traffic, then kills it: no FIN, no RST), timed from the cut until the daemon reports the Pi unreachable; after \`--undo\`, from its sshd answering to Ready.`,
    ],
  };
}
