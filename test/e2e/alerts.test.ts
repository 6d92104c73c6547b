/**
 * Issue 15's webhook acceptance on the virtual rack: a receiver on loopback gets "under-voltage"
 * when the lab's stand-in `vcgencmd` shows it, "pi lost" for a
 * `lab fault 2 power-loss` and "pi back" for its undo, with nothing lost across a daemon restart in
 * between: the receiver refuses the "pi back" (503), the daemon stops with it in its outbox, and the
 * next daemon delivers it from the state dir. The loss is seen by the watch stream's missing
 * heartbeats (a few seconds), and said once although a failing pass notices it too; the return is seen
 * by the first heartbeat after the boot, before any pass, at the default resync (5m) and backoff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { OUTBOX_FILE } from '../../src/alerts/outbox.ts';
import { Daemon } from '../../src/daemon/daemon.ts';
import { defaultSensors, labFault, setLabSensors } from '../../src/lab/index.ts';
import { captureLog } from '../support/captured-log.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 1, perStack: 2 });
let daemon: Daemon | undefined;
let receiver: Server | undefined;
let rackPath = '';
const captured = captureLog();
let answer = 204;
let powerCut = false;
const received: { event: string; target: string }[] = [];

function startDaemon(): Daemon {
  return new Daemon({ stateDir: lab().stateDir, log: captured.log });
}

const offer = (d: Daemon) => d.offer({ revision: 'alerts-e2e', text: readFileSync(rackPath, 'utf8'), path: rackPath });
const lastLog = () => captured.tail(15);
const outbox = () =>
  existsSync(join(lab().stateDir, OUTBOX_FILE))
    ? (JSON.parse(readFileSync(join(lab().stateDir, OUTBOX_FILE), 'utf8')) as { pending: { alert: { event: string } }[] }).pending
    : [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += String(c)));
    req.on('end', () => {
      if (answer < 300) received.push(JSON.parse(text) as { event: string; target: string });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((done) => receiver!.listen(0, '127.0.0.1', done));
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as Record<string, unknown>;
  doc.alerts = {
    webhooks: {
      owner: {
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/pirack`,
        events: ['pi-lost', 'pi-back', 'under-voltage'],
        minInterval: '1s',
      },
    },
  };
  // The default resync (5m) and backoff: the loss and the return are seen by the watch stream.
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  daemon = startDaemon();
  await offer(daemon);
});

afterAll(async () => {
  await setLabSensors(1, { throttled: defaultSensors(1).throttled }).catch(() => undefined);
  if (powerCut) await labFault(2, 'power-loss', { undo: true }).catch(() => undefined);
  await daemon?.close();
  await new Promise((done) => receiver?.close(done));
});

describe('webhooks on the virtual rack', () => {
  it('the receiver gets "under-voltage" when a heartbeat first shows it, once', async () => {
    // Ready and streaming: a loss is then seen by the missing heartbeats, not at the next resync (5m).
    const up = (c: readonly { type: string; status: string }[]) =>
      ['Ready', 'Streaming'].every((t) => c.find((x) => x.type === t)?.status === 'True');
    await waitUntil(
      'every Pi Ready and streaming',
      180_000,
      () => (daemon!.status().nodes.every((n) => up(n.conditions)) ? true : undefined),
      { every: 1000, context: lastLog },
    );
    // Bit 0 of `vcgencmd get_throttled`: under-voltage now (the slave reads it every 5 s).
    await setLabSensors(1, { throttled: 0x1 });
    await waitUntil(
      'under-voltage delivered',
      60_000,
      () => (received.some((r) => r.event === 'under-voltage' && r.target === 'pi 1') ? true : undefined),
      { every: 500, context: lastLog },
    );
    // Still under-voltage at the next readings: no second alert.
    await new Promise((done) => setTimeout(done, 6000));
    expect(received.filter((r) => r.event === 'under-voltage')).toHaveLength(1);
  }, 330_000);

  it('the receiver gets "pi lost" for a power-loss', async () => {
    await labFault(2, 'power-loss');
    powerCut = true;
    await waitUntil(
      'pi-lost delivered',
      120_000,
      () => (received.some((r) => r.event === 'pi-lost' && r.target === 'pi 2') ? true : undefined),
      { every: 1000, context: lastLog },
    );
  }, 150_000);

  it('"pi back" refused by the receiver survives a daemon restart and is delivered by the next daemon', async () => {
    answer = 503;
    await labFault(2, 'power-loss', { undo: true });
    powerCut = false;
    await waitUntil(
      'pi-back waiting in the outbox',
      120_000,
      () => (outbox().some((d) => d.alert.event === 'pi-back') ? true : undefined),
      { every: 1000, context: lastLog },
    );
    await daemon!.close();
    daemon = undefined;
    expect(received.some((r) => r.event === 'pi-back')).toBe(false);
    answer = 204;
    daemon = startDaemon();
    await offer(daemon);
    await waitUntil(
      'pi-back delivered after the restart',
      60_000,
      () => (received.some((r) => r.event === 'pi-back' && r.target === 'pi 2') ? true : undefined),
      { every: 500, context: lastLog },
    );
    expect(
      received.filter((r) => r.event === 'pi-lost'),
      JSON.stringify(received),
    ).toHaveLength(1);
  }, 200_000);
});
