/**
 * Issue 10's watch stream on the virtual rack: the real master-side client (src/stream/) through
 * the real SSH pool and real OpenSSH to lab Pis running the real slave on bookworm's Node.js.
 * It sees heartbeats with CPU %, the temperature of the Pi's stand-in sensor and the flags of its
 * stand-in vcgencmd; a change notice within 1 s of a managed file edit, a managed unit stopping,
 * a package removal and an authorized_keys edit, all made from inside the Pi; and `lost` within
 * 15 s of a power-loss that sends no FIN (while an ordinary connection to the same Pi, with no
 * stream, still has not noticed). Wiring the stream into the daemon is a separate step.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRack } from '../../src/config/load.ts';
import { resolveBuiltin } from '../../src/slave/bundle.ts';
import { defaultSensors, labExec, labFault, labIp, setLabSensors } from '../../src/lab/index.ts';
import type { RackSpec } from '../../src/model/desired.ts';
import { openHostKeyStore } from '../../src/ssh/hostkeys.ts';
import { createSshPool, type SshPool } from '../../src/ssh/pool.ts';
import { NodeStream } from '../../src/stream/node-stream.ts';
import { watchSpecOf } from '../../src/stream/spec.ts';
import { RecordingSink } from '../unit/stream/fakes.ts';
import { captureLog } from '../support/captured-log.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 1, perStack: 2, rootLogin: true });
const SLAVE_JS = '/usr/local/lib/pirack/pirack-slave.js';
const PROBE_UNIT = 'pirack-watch-probe.service';
const PROBE_FILE = '/etc/pirack-watch/probe.conf';

const { log, lines: logLines } = captureLog('debug');

let rack: RackSpec;
let pool: SshPool;
let plainPool: SshPool | undefined;
const streams: NodeStream[] = [];
const sinks = new Map<number, RecordingSink>();

async function onPi(pi: number, cmd: string): Promise<string> {
  const r = await labExec(pi, cmd);
  if (r.code !== 0) throw new Error(`\`${cmd}\` on pi ${pi} exited ${r.code}: ${r.stderr}`);
  return `${r.stdout}`.trim();
}

const waitFor = <T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>, every = 20): Promise<T> =>
  waitUntil(what, ms, probe, { every, context: () => `--- log tail ---\n${logLines.slice(-25).join('\n')}` });

function openStream(pi: number, slavePath = SLAVE_JS): { sink: RecordingSink; stream: NodeStream } {
  const node = rack.stacks.flatMap((s) => s.nodes).find((n) => n.id === pi)!;
  const base = watchSpecOf(node, 'e2e');
  const spec = { ...base, files: [...base.files, PROBE_FILE], units: [...base.units, PROBE_UNIT] };
  const sink = new RecordingSink();
  const stream = new NodeStream({ target: { node: pi, host: labIp(pi), port: 22 }, spec, transport: pool, sink, log, slavePath });
  streams.push(stream);
  stream.start();
  return { sink, stream };
}

/** Runs `cmd` inside the Pi and returns how long after it returned the first new notice of `what` came (negative: before). */
async function noticeAfter(pi: number, what: string, cmd: string): Promise<{ lagMs: number; detail: string }> {
  const sink = sinks.get(pi)!;
  const before = sink.events.length;
  const seenAt: number[] = [];
  let detail = '';
  const spy = setInterval(() => {
    if (seenAt.length) return;
    const hit = sink.events.slice(before).find((e) => e.kind === 'change' && e.notice.what === what);
    if (hit && hit.kind === 'change') {
      seenAt.push(Date.now());
      detail = hit.notice.detail;
    }
  }, 5);
  try {
    await onPi(pi, cmd);
    const done = Date.now();
    await waitFor(`a ${what} notice from pi ${pi} after \`${cmd}\``, 1_000, () => (seenAt.length ? true : undefined), 5).catch(
      () => undefined,
    );
    const lagMs = seenAt.length ? seenAt[0]! - done : Number.POSITIVE_INFINITY;
    process.stderr.write(`[slave-watch] ${what} notice ${lagMs} ms after \`${cmd.slice(0, 60)}\` returned\n`);
    return { lagMs, detail };
  } finally {
    clearInterval(spy);
  }
}

beforeAll(async () => {
  const converged = await runCli(['apply', '--once', '--rack', lab().rackYaml, '--state-dir', lab().stateDir]);
  expect(converged.code, `${converged.stdout}\n${converged.stderr}`).toBe(0);
  for (const pi of [1, 2]) {
    await onPi(pi, `mkdir -p /etc/pirack-watch && echo one > ${PROBE_FILE}`);
    await onPi(
      pi,
      `printf '[Service]\\nExecStart=/bin/sleep infinity\\n' > /etc/systemd/system/${PROBE_UNIT} && systemctl daemon-reload && systemctl start ${PROBE_UNIT}`,
    );
  }
  rack = await loadRack(lab().rackYaml, { resolveBuiltin });
  const hostKeys = await openHostKeyStore({ stateDir: lab().stateDir });
  const options = {
    user: rack.ssh.user,
    port: rack.ssh.port,
    privateKey: await readFile(rack.ssh.keyFile),
    connectTimeoutMs: rack.ssh.connectTimeoutMs,
    execTimeoutMs: rack.ssh.execTimeoutMs,
    keepaliveIntervalMs: rack.ssh.keepaliveIntervalMs,
    maxSessionsPerConnection: rack.ssh.maxSessionsPerConnection,
    hostKeys,
    log,
  };
  pool = createSshPool(options);
  plainPool = createSshPool(options);
  for (const pi of [1, 2]) sinks.set(pi, openStream(pi).sink);
  for (const pi of [1, 2])
    await waitFor(`pi ${pi}'s stream watching`, 30_000, () => (sinks.get(pi)!.of('watching').length > 0 ? true : undefined), 100);
});

afterAll(async () => {
  for (const s of streams) s.stop();
  await pool?.close();
  await plainPool?.close();
});

describe('pirack-slave watch over the real SSH connection', () => {
  it('says hello with the protocol version, watches everything it was asked to (units over D-Bus)', () => {
    const sink = sinks.get(1)!;
    expect(sink.of('opened')[0]!.hello).toMatchObject({ protocol: 1, units: 'dbus' });
    expect(sink.of('opened')[0]!.hello.nodeVersion).toMatch(/^v18\./);
    expect(sink.of('watching')[0]).toMatchObject({ revision: 'e2e', problems: [] });
  });

  it('beats about once a second with CPU %, the stand-in temperature and vcgencmd flags', async () => {
    const sink = sinks.get(1)!;
    const from = sink.of('heartbeat').length;
    await new Promise((r) => setTimeout(r, 3_100));
    const beats = sink.of('heartbeat').slice(from);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThanOrEqual(5);
    const h = beats[beats.length - 1]!.health;
    expect(h.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(h.cpuPercent).toBeLessThanOrEqual(100);
    expect(h.temperatureC).toBe(defaultSensors(1).temperatureMilli / 1000);
    expect(h.throttled).toBe(0);
    expect(h.memTotalKb).toBeGreaterThan(0);
    expect(h.diskFreeBytes).toBeGreaterThan(0);
    expect(await onPi(1, 'vcgencmd measure_temp')).toBe(`temp=${(defaultSensors(1).temperatureMilli / 1000).toFixed(1)}'C`);

    await setLabSensors(1, { temperatureMilli: 81_250, throttled: 0x50005 });
    const hot = await waitFor('a heartbeat with the new temperature and throttle flags', 8_000, () => {
      const last = sink.of('heartbeat').at(-1)?.health;
      return last && last.temperatureC === 81.25 && last.throttled === 0x50005 ? last : undefined;
    });
    expect(hot.temperatureC).toBe(81.25);
    expect(await onPi(1, 'vcgencmd get_throttled')).toBe('throttled=0x50005');
  });

  it('reports a managed file edited inside the Pi within a second', async () => {
    const { lagMs, detail } = await noticeAfter(1, 'file', `echo edited >> ${PROBE_FILE}`);
    expect(lagMs).toBeLessThan(1_000);
    expect(detail).toBe(PROBE_FILE);
  });

  it('reports a managed unit stopped inside the Pi within a second (systemd over D-Bus)', async () => {
    const { lagMs, detail } = await noticeAfter(1, 'unit', `systemctl stop ${PROBE_UNIT}`);
    expect(lagMs).toBeLessThan(1_000);
    expect(detail).toBe(PROBE_UNIT);
  });

  it('reports a package removed inside the Pi within a second', async () => {
    const { lagMs, detail } = await noticeAfter(1, 'packages', 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q bc >/dev/null 2>&1');
    expect(lagMs).toBeLessThan(1_000);
    expect(detail).toBe('dpkg-status');
  });

  it('reports an authorized_keys edit inside the Pi within a second', async () => {
    const { lagMs, detail } = await noticeAfter(1, 'keys', "sed -i '$a # pirack e2e' /root/.ssh/authorized_keys");
    expect(lagMs).toBeLessThan(1_000);
    expect(detail).toBe('/root/.ssh/authorized_keys');
    await onPi(1, "sed -i '/^# pirack e2e$/d' /root/.ssh/authorized_keys");
  });

  it('tolerates garbage and an oversized line before the real protocol', async () => {
    await onPi(
      1,
      `cat > /usr/local/lib/pirack/garbage-slave.js <<'JS'
process.stdout.write('garbage\\n' + 'x'.repeat(200000) + '\\n{"type":"heartbeat"}\\n');
require('${SLAVE_JS}');
JS`,
    );
    // pi 1's connection in `pool` holds its one stream already: this one runs on the other pool.
    const own = new RecordingSink();
    const stream = new NodeStream({
      target: { node: 1, host: labIp(1), port: 22 },
      spec: { revision: 'g', files: [], packages: [], units: [] },
      transport: plainPool!,
      sink: own,
      log,
      slavePath: '/usr/local/lib/pirack/garbage-slave.js',
    });
    stream.start();
    try {
      await waitFor('a heartbeat after the garbage', 15_000, () => (own.of('heartbeat').length > 0 ? true : undefined), 50);
      expect(own.kinds()[0]).toBe('opened');
      expect(logLines.some((l) => l.includes('dropped a line from the watch stream that is not the protocol'))).toBe(true);
    } finally {
      stream.stop();
    }
  });

  it('reports an old slave without watch as unsupported', async () => {
    await onPi(
      2,
      `cat > /usr/local/lib/pirack/old-slave.js <<'JS'
const [c = 'serve'] = process.argv.slice(2);
if (c !== 'serve') { console.error('pirack-slave: unknown command "' + c + '"; use serve, cpu, temperature or health'); process.exit(2); }
JS`,
    );
    const own = new RecordingSink();
    const stream = new NodeStream({
      target: { node: 2, host: labIp(2), port: 22 },
      spec: { revision: 'o', files: [], packages: [], units: [] },
      transport: plainPool!,
      sink: own,
      log,
      slavePath: '/usr/local/lib/pirack/old-slave.js',
    });
    stream.start();
    try {
      await waitFor('unsupported', 15_000, () => (own.of('unsupported').length > 0 ? true : undefined), 50);
      expect(own.of('unsupported')[0]!.reason).toContain('no watch command');
      expect(own.of('opened')).toEqual([]);
    } finally {
      stream.stop();
    }
  });

  it('reports lost within 15 s of a power-loss that sends no FIN, and opens again soon after the Pi is back', async () => {
    const sink = sinks.get(2)!;
    // Stream-off variant: an ordinary connection to the same Pi, with no stream on it.
    expect((await plainPool!.exec({ node: 2, host: labIp(2), port: 22 }, 'true')).exitCode).toBe(0);
    const lostBefore = sink.of('lost').length;
    const cut = Date.now();
    await labFault(2, 'power-loss');
    const plain = plainPool!.exec({ node: 2, host: labIp(2), port: 22 }, 'true', { timeoutMs: 30_000 }).then(
      () => 'answered',
      (err: Error) => `failed after ${Date.now() - cut} ms: ${err.message}`,
    );
    let plainOutcome: string | undefined;
    void plain.then((o) => (plainOutcome = o));
    await waitFor('pi 2 lost', 15_000, () => (sink.of('lost').length > lostBefore ? true : undefined), 50);
    const detectedMs = Date.now() - cut;
    process.stderr.write(`[slave-watch] power-loss reported lost after ${detectedMs} ms\n`);
    expect(detectedMs).toBeLessThanOrEqual(15_000);
    expect(sink.of('lost').at(-1)!.reason).toMatch(/no heartbeat|ended/);
    // No FIN, no RST: without the stream, the same Pi's connection has not noticed anything yet.
    expect(plainOutcome).toBeUndefined();
    // Pi 1 streams on.
    const beats1 = sinks.get(1)!.of('heartbeat').length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sinks.get(1)!.of('heartbeat').length).toBeGreaterThan(beats1);

    await labFault(2, 'power-loss', { undo: true });
    const openedBefore = sink.of('opened').length;
    await waitFor(
      'pi 2 sshd answering',
      90_000,
      async () => ((await labExec(2, 'systemctl is-active ssh.service')).stdout.trim() === 'active' ? true : undefined),
      100,
    );
    const sshdAt = Date.now();
    await waitFor('pi 2 stream open again', 20_000, () => (sink.of('opened').length > openedBefore ? true : undefined), 50);
    process.stderr.write(
      `[slave-watch] stream open again ${Date.now() - sshdAt} ms after sshd answered; plain connection: ${plainOutcome ?? 'still waiting'}\n`,
    );
    expect(Date.now() - sshdAt).toBeLessThanOrEqual(10_000);
    await plain;
  });
});
