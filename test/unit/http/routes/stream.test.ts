/** The live event stream over a real loopback socket: backlog, new events, status, resume, unsubscribe. */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, harness, type Harness } from '../harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

async function start(overrides = {}): Promise<string> {
  h = await harness({ stream: { statusPollMs: 50, heartbeatMs: 100 }, ...overrides });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

/** Reads the stream until `done(text)` holds or the time runs out; then disconnects. */
async function readUntil(
  url: string,
  headers: Record<string, string>,
  done: (text: string) => boolean,
  onOpen?: () => void,
): Promise<{ text: string; res: Response }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  const res = await fetch(url, { headers, signal: abort.signal });
  onOpen?.();
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  try {
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // Aborted by the timer: the assertions below say what was missing.
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { text, res };
}

const waitFor = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
};

describe('GET /api/v1/events/stream', () => {
  it('sends the backlog, the status, then each new event as it happens, and heartbeats', async () => {
    const base = await start();
    h!.facade.emit({ kind: 'probe', target: 'pi 1', message: 'old event', result: 'ok' });
    const { text, res } = await readUntil(
      `${base}/api/v1/events/stream`,
      {},
      (t) => t.includes('fresh event') && t.includes(': heartbeat'),
      () => {
        setTimeout(() => h!.facade.emit({ kind: 'probe', target: 'pi 5', message: 'fresh event', result: 'failed' }), 50);
      },
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(text).toContain('id: 1\nevent: rack\ndata: {"at":');
    expect(text).toMatch(/id: 2\nevent: rack\ndata: \{[^\n]*"message":"fresh event"/);
    const status = text.split('\n\n').find((block) => block.startsWith('event: status'));
    expect(JSON.parse(status!.split('data: ')[1]!).rack.name).toBe('lab-rack');
    expect(text.indexOf('old event')).toBeLessThan(text.indexOf('fresh event'));
  });

  it('sends a new status after a pass changes it', async () => {
    const base = await start();
    const { text } = await readUntil(
      `${base}/api/v1/events/stream`,
      {},
      (t) => t.split('event: status').length > 2,
      () => {
        setTimeout(() => h!.facade.updateNode(1, (n) => ({ ...n, quarantined: true })), 50);
      },
    );
    const statuses = text
      .split('\n\n')
      .filter((b) => b.startsWith('event: status'))
      .map((b) => JSON.parse(b.split('data: ')[1]!));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1).nodes[0].quarantined).toBe(true);
  });

  it('resumes after Last-Event-ID without repeating what the client had', async () => {
    const base = await start();
    for (const n of [1, 2, 3]) h!.facade.emit({ kind: 'probe', target: `pi ${n}`, message: `event ${n}`, result: 'ok' });
    const { text } = await readUntil(`${base}/api/v1/events/stream`, { 'last-event-id': '2' }, (t) => t.includes('event: status'));
    expect(text).not.toContain('event 1');
    expect(text).not.toContain('event 2');
    expect(text).toContain('event 3');
  });

  it('unsubscribes from the daemon when the client goes away', async () => {
    const base = await start();
    await readUntil(`${base}/api/v1/events/stream`, {}, (t) => t.includes('event: status'));
    await waitFor(() => h!.facade.listenerCount === 0);
    expect(h!.facade.listenerCount).toBe(0);
  });

  it('needs authentication when reads do', async () => {
    const base = await start({ readAccess: 'authenticated' });
    const refused = await fetch(`${base}/api/v1/events/stream`);
    expect(refused.status).toBe(401);
    await refused.text();
    const { text } = await readUntil(`${base}/api/v1/events/stream`, bearer, (t) => t.includes('event: status'));
    expect(text).toContain('event: status');
  });
});
