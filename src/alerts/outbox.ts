/**
 * Webhook delivery: every alert a webhook subscribes to is put in an outbox persisted in the state
 * dir (`alerts-outbox.json`, written atomically before any attempt), then POSTed as JSON; a failed
 * POST (network error or a non-2xx answer) is retried with the one backoff (src/util/backoff.ts).
 * A daemon restart reloads the outbox, so nothing is lost in between. `minIntervalMs` keeps the
 * same event on the same target from reaching a webhook more often than that (a flapping Pi).
 * Effects come in through the options (fetch, clock, timers), so tests drive it by hand.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { WebhookSpec } from '../model/desired.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { backoffDelay, type BackoffPolicy } from '../util/backoff.ts';
import type { Alert } from './events.ts';

export const OUTBOX_FILE = 'alerts-outbox.json';

export interface Delivery {
  readonly id: string;
  readonly webhook: string;
  readonly url: string;
  readonly alert: Alert;
  readonly attempts: number;
  /** Epoch ms of the next attempt. */
  readonly nextAt: number;
}

export interface OutboxOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly backoff?: BackoffPolicy;
  /** Per POST. Default 10 s. */
  readonly timeoutMs?: number;
  /** How often due deliveries are looked at. Default 1 s. */
  readonly tickMs?: number;
}

export const DEFAULT_ALERT_BACKOFF: BackoffPolicy = { baseMs: 2000, maxMs: 300_000 };

export class AlertOutbox {
  private pending: Delivery[] = [];
  private readonly lastSent = new Map<string, number>();
  private webhooks: readonly WebhookSpec[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private seq = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly o: OutboxOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Reloads what a previous run left undelivered; a missing or unreadable file is an empty outbox. */
  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(join(this.o.stateDir, OUTBOX_FILE), 'utf8')) as { pending?: Delivery[] };
      this.pending = Array.isArray(parsed.pending) ? parsed.pending : [];
    } catch {
      this.pending = [];
    }
  }

  setWebhooks(webhooks: readonly WebhookSpec[] | undefined): void {
    this.webhooks = webhooks ?? [];
  }

  get undelivered(): readonly Delivery[] {
    return this.pending;
  }

  /** Queues the alert for every webhook that wants it, persisted before it returns. */
  async offer(alert: Alert): Promise<void> {
    const now = this.now();
    let added = false;
    for (const hook of this.webhooks) {
      if (!hook.events.includes(alert.event)) continue;
      const key = `${hook.name} ${alert.event} ${alert.target}`;
      const last = this.lastSent.get(key);
      if (last !== undefined && now - last < hook.minIntervalMs) continue;
      this.lastSent.set(key, now);
      this.pending.push({ id: `${now}-${++this.seq}`, webhook: hook.name, url: hook.url, alert, attempts: 0, nextAt: now });
      added = true;
    }
    if (added) await this.save();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.deliverDue(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.saving;
  }

  /** One round: POSTs every due delivery once; keeps the failures with their next attempt time. */
  async deliverDue(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = this.now();
      const due = this.pending.filter((d) => d.nextAt <= now);
      if (due.length === 0) return;
      const done = new Set<string>();
      const retried = new Map<string, Delivery>();
      for (const d of due) {
        if (await this.post(d)) done.add(d.id);
        else {
          const attempts = d.attempts + 1;
          retried.set(d.id, { ...d, attempts, nextAt: this.now() + backoffDelay(attempts, this.o.backoff ?? DEFAULT_ALERT_BACKOFF) });
        }
      }
      this.pending = this.pending.filter((d) => !done.has(d.id)).map((d) => retried.get(d.id) ?? d);
      await this.save();
    } finally {
      this.running = false;
    }
  }

  private async post(d: Delivery): Promise<boolean> {
    const doFetch = this.o.fetch ?? fetch;
    try {
      const res = await doFetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ webhook: d.webhook, id: d.id, ...d.alert }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      if (res.ok) return true;
      this.o.log.warn({ webhook: d.webhook, status: res.status, attempts: d.attempts + 1 }, 'webhook answered an error; retrying');
    } catch (err) {
      this.o.log.warn({ webhook: d.webhook, err, attempts: d.attempts + 1 }, 'webhook delivery failed; retrying');
    }
    return false;
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, pending: this.pending }, null, 2)}\n`;
    this.saving = this.saving
      .then(() => writeFileAtomic(join(this.o.stateDir, OUTBOX_FILE), text))
      .catch((err: unknown) => this.o.log.error({ err }, 'cannot save the alert outbox'));
    return this.saving;
  }
}
