import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { alertFor } from '../../../src/alerts/events.ts';
import { newThrottleTroubles } from '../../../src/model/health.ts';
import { AlertOutbox, OUTBOX_FILE } from '../../../src/alerts/outbox.ts';
import type { WebhookSpec } from '../../../src/model/desired.ts';

const log = pino({ level: 'silent' });
let dir = '';
let server: Server | undefined;

afterEach(async () => {
  if (server) await new Promise((done) => server!.close(done));
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A receiver on loopback that answers `status()` and records every body. */
async function receiver(status: () => number): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += String(c)));
    req.on('end', () => {
      const code = status();
      if (code < 300) bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

const hook = (url: string, extra: Partial<WebhookSpec> = {}): WebhookSpec => ({
  name: 'ops',
  url,
  events: ['pi-lost', 'pi-back'],
  minIntervalMs: 0,
  ...extra,
});

const lost = { event: 'pi-lost' as const, target: 'pi 3', message: 'stopped answering', at: '2026-12-02T00:00:00.000Z' };

describe('alert events', () => {
  it('maps the rack events an owner hears of, and nothing else', () => {
    const at = '2026-12-02T00:00:00.000Z';
    expect(alertFor({ kind: 'node-lost', target: 'pi 3', message: 'm', result: 'info', at })?.event).toBe('pi-lost');
    expect(alertFor({ kind: 'node-back', target: 'pi 3', message: 'm', result: 'info', at })?.event).toBe('pi-back');
    expect(alertFor({ kind: 'stack-cycle', target: 'stack 1', message: 'm', result: 'ok', at })?.event).toBe('stack-power-cycled');
    expect(alertFor({ kind: 'stack-cycle', target: 'stack 1', message: 'm', result: 'failed', at })).toBeUndefined();
    expect(alertFor({ kind: 'revision-rejected', target: 'rack', message: 'm', result: 'failed', at })?.event).toBe('revision-rejected');
    expect(alertFor({ kind: 'enlist-stack', target: 'stack 2', message: 'm', result: 'ok', at })?.event).toBe('enlistment-finished');
    expect(alertFor({ kind: 'pkg-install', target: 'pi 1', message: 'm', result: 'ok', at })).toBeUndefined();
  });

  it('raises under-voltage and throttling when their bits newly appear', () => {
    expect(newThrottleTroubles(0, 0b101).map((t) => t.kind)).toEqual(['under-voltage', 'throttling']);
    expect(newThrottleTroubles(0b101, 0b101)).toEqual([]);
    expect(newThrottleTroubles(0b100, 0b101).map((t) => t.kind)).toEqual(['under-voltage']);
    expect(newThrottleTroubles(undefined, undefined)).toEqual([]);
    for (const t of newThrottleTroubles(undefined, 0b101))
      expect(alertFor({ kind: t.kind, target: 'pi 2', message: t.message, result: 'info', at: lost.at })?.event).toBe(t.kind);
  });
});

describe('webhook outbox', () => {
  it('delivers to a loopback receiver, retries a failing one with backoff, and forgets what was delivered', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-alerts-'));
    let code = 503;
    const r = await receiver(() => code);
    let now = 1000;
    const box = new AlertOutbox({ stateDir: dir, log, now: () => now, backoff: { baseMs: 2000, maxMs: 8000 } });
    box.setWebhooks([hook(r.url)]);
    await box.offer(lost);
    await box.deliverDue();
    expect(r.bodies).toEqual([]);
    expect(box.undelivered[0]).toMatchObject({ attempts: 1 });
    expect(box.undelivered[0]!.nextAt).toBeGreaterThanOrEqual(now + 1000);
    await box.deliverDue(); // not due yet
    expect(box.undelivered[0]).toMatchObject({ attempts: 1 });
    code = 204;
    now += 2000;
    await box.deliverDue();
    expect(r.bodies).toEqual([{ webhook: 'ops', id: expect.any(String), ...lost }]);
    expect(box.undelivered).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, OUTBOX_FILE), 'utf8')).pending).toEqual([]);
  });

  it('what was not delivered before a restart is delivered by the next outbox', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-alerts-'));
    const r = await receiver(() => 204);
    const first = new AlertOutbox({ stateDir: dir, log });
    first.setWebhooks([hook(r.url)]);
    await first.offer(lost);
    await first.offer({ ...lost, event: 'pi-back', message: 'answers again' });
    await first.stop(); // the daemon stops before delivering
    const second = new AlertOutbox({ stateDir: dir, log });
    await second.load();
    expect(second.undelivered.map((d) => d.alert.event)).toEqual(['pi-lost', 'pi-back']);
    await second.deliverDue();
    expect(r.bodies.map((b) => b.event)).toEqual(['pi-lost', 'pi-back']);
  });

  it('sends only subscribed events, and the same event on the same Pi at most once per minimum interval', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-alerts-'));
    let now = 0;
    const box = new AlertOutbox({ stateDir: dir, log, now: () => now });
    box.setWebhooks([hook('http://127.0.0.1:9/x', { minIntervalMs: 60_000 })]);
    await box.offer({ ...lost, event: 'quarantine' });
    await box.offer(lost);
    now = 30_000;
    await box.offer(lost);
    await box.offer({ ...lost, target: 'pi 4' });
    now = 61_000;
    await box.offer(lost);
    expect(box.undelivered.map((d) => `${d.alert.event} ${d.alert.target}`)).toEqual(['pi-lost pi 3', 'pi-lost pi 4', 'pi-lost pi 3']);
  });
});
