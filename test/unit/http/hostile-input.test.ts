/**
 * The HTTP findings of the hostile-input review (issue 11), one test each: prototype keys, limits
 * and timeouts, failed-token rate limits, Origin rules, bearer-only mutations behind a GET, log
 * sampling, event stream caps, plan authentication and framework errors in the JSON shape.
 */
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN, bearer, harness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith('pirack_session='));
  if (!line) throw new Error('no session cookie set');
  return line.split(';')[0] as string;
}

async function login(app: Harness['app']): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
  expect(res.statusCode).toBe(200);
  return sessionCookie(res.headers['set-cookie']);
}

async function listen(overrides: Parameters<typeof harness>[0] = {}): Promise<number> {
  h = await harness(overrides);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return (h.app.server.address() as AddressInfo).port;
}

/** Writes raw bytes to the server and collects what comes back until the server closes the socket. */
function raw(port: number, request: string, limitMs = 3000): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`socket still open after ${limitMs} ms; got ${JSON.stringify(text)}`));
    }, limitMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.write(request);
  });
}

function jsonOf(response: string): { error: { code: string; reason: string; message: string } } {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

describe('prototype keys', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'CONSTRUCTOR'])(
    'legacy stacks/execute with action %s never powers a stack',
    async (action) => {
      h = await harness();
      const res = await h.app.inject({ method: 'POST', url: '/api/v1.0/stacks/execute', headers: bearer, payload: { id: 1, action } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, data: `no action ${action}`, error: { code: 'PIRACK_ERR_HTTP_NOT_FOUND' } });
      expect(h.facade.calls.filter((c) => c.method === 'power')).toEqual([]);
    },
  );

  it('legacy stacks/execute shutdown still powers the stack off', async () => {
    h = await harness();
    await h.app.inject({ method: 'POST', url: '/api/v1.0/stacks/execute', headers: bearer, payload: { id: 1, action: 'Shutdown' } });
    expect(h.facade.calls).toEqual([{ method: 'power', args: [{ scope: 'stack', id: 1 }, 'off'] }]);
  });
});

describe('timeouts', () => {
  it('defaults: headers within 5 s, the whole request within 10 s, checked every second', async () => {
    h = await harness();
    expect(h.app.server.headersTimeout).toBe(5000);
    expect(h.app.server.requestTimeout).toBe(10_000);
  });

  it('drops an unfinished login body within the request timeout, with a JSON 408', async () => {
    const port = await listen({ limits: { requestTimeoutMs: 600, headersTimeoutMs: 400 } });
    const partial = 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"token":';
    const { text, closedAfterMs } = await raw(port, partial);
    expect(closedAfterMs).toBeLessThan(2500);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(jsonOf(text).error).toMatchObject({ code: 'PIRACK_ERR_HTTP_TIMEOUT', reason: 'RequestTimeout' });
  });

  it('drops a client that never finishes its headers', async () => {
    const port = await listen({ limits: { requestTimeoutMs: 600, headersTimeoutMs: 400 } });
    const { closedAfterMs } = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(closedAfterMs).toBeLessThan(2500);
  });
});

describe('failed bearer tokens', () => {
  it('are rate-limited per address: 429 after the limit, other addresses unaffected', async () => {
    h = await harness({ auth: { adminToken: TOKEN, failureLimit: { max: 3, windowMs: 60_000 } } });
    const wrong = { authorization: 'Bearer wrong-token-0123456789' };
    const codes: number[] = [];
    for (let i = 0; i < 5; i += 1)
      codes.push((await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const limited = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong });
    expect(limited.json().error).toMatchObject({ reason: 'TooManyRequests', code: 'PIRACK_ERR_HTTP_RATE_LIMITED' });
    const other = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong, remoteAddress: '127.0.0.9' });
    expect(other.statusCode).toBe(401);
    expect(h.facade.calls).toEqual([]);
  });

  it('never lock out a client presenting the right token, by bearer or at login', async () => {
    h = await harness({ auth: { adminToken: TOKEN, failureLimit: { max: 3, windowMs: 60_000 } } });
    for (let i = 0; i < 6; i += 1) await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: `guess-${i}` } });
    for (let i = 0; i < 6; i += 1)
      await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: { authorization: `Bearer guess-${i}` } });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: `guess-x` } })).statusCode).toBe(429);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: bearer })).statusCode).toBe(202);
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    expect(ok.statusCode).toBe(200);
    expect(String(ok.headers['set-cookie'])).toMatch(/^pirack_session=/);
  });

  it('with the default limit, the right login token still works after 5 wrong ones', async () => {
    h = await harness();
    for (let i = 0; i < 5; i += 1) await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: `guess-${i}` } });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } })).statusCode).toBe(200);
  });

  it('behind a trusted proxy, are counted per forwarded client address', async () => {
    h = await harness({ trustProxy: '127.0.0.1', auth: { adminToken: TOKEN, failureLimit: { max: 1, windowMs: 60_000 } } });
    const wrong = (client: string) => ({ authorization: 'Bearer wrong-token-0123456789', 'x-forwarded-for': client });
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong('10.0.0.1'), remoteAddress: '127.0.0.1' })).statusCode,
    ).toBe(401);
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong('10.0.0.1'), remoteAddress: '127.0.0.1' })).statusCode,
    ).toBe(429);
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: wrong('10.0.0.2'), remoteAddress: '127.0.0.1' })).statusCode,
    ).toBe(401);
  });
});

describe('cookies and origins', () => {
  it('sets the Secure flag when secureCookie is on', async () => {
    h = await harness({ auth: { adminToken: TOKEN, secureCookie: true } });
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    expect(String(res.headers['set-cookie'])).toContain('Secure');
  });

  it('refuses a cookie-authenticated mutation without Origin or Referer (403)', async () => {
    h = await harness();
    const cookie = await login(h.app);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: { cookie, host: 'localhost:8080' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/Origin or Referer/);
    expect(h.facade.calls).toEqual([]);
  });

  it('accepts a same-origin Referer when Origin is missing, and refuses a foreign one', async () => {
    h = await harness();
    const cookie = await login(h.app);
    const foreign = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { cookie, host: 'localhost:8080', referer: 'http://evil.example/page' },
    });
    expect(foreign.statusCode).toBe(403);
    const same = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { cookie, host: 'localhost:8080', referer: 'http://localhost:8080/#/plan' },
    });
    expect(same.statusCode).toBe(202);
    expect(h.facade.calls.map((c) => c.method)).toEqual(['reconcileNow']);
  });

  it('GET /api/v1.0/installation accepts the bearer token only, never a cookie alone', async () => {
    h = await harness();
    const cookie = await login(h.app);
    const withCookie = await h.app.inject({
      method: 'GET',
      url: '/api/v1.0/installation',
      headers: { cookie, host: 'localhost:8080', origin: 'http://localhost:8080' },
    });
    expect(withCookie.statusCode).toBe(401);
    expect(withCookie.json().error.message).toMatch(/bearer/i);
    expect(h.facade.calls).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/installation', headers: bearer })).statusCode).toBe(200);
    expect(h.facade.calls.map((c) => c.method)).toEqual(['install']);
  });
});

describe('log sampling', () => {
  it('logs refused requests once per address per minute, then with the count of those left out', async () => {
    let clock = Date.parse('2026-12-01T00:00:00Z');
    h = await harness({ auth: { adminToken: TOKEN, now: () => clock } });
    for (let i = 0; i < 20; i += 1) await h.app.inject({ method: 'POST', url: '/api/v1/reconcile' });
    const warnings = () =>
      h!
        .logText()
        .split('\n')
        .filter((l) => l.includes('"level":40'));
    expect(warnings()).toHaveLength(1);
    clock += 61_000;
    await h.app.inject({ method: 'POST', url: '/api/v1/reconcile' });
    expect(warnings()).toHaveLength(2);
    expect(JSON.parse(warnings()[1]!)).toMatchObject({ ip: '127.0.0.1', suppressed: 19 });
    // Another address gets its own first line.
    await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', remoteAddress: '127.0.0.5' });
    expect(warnings()).toHaveLength(3);
  });
});

describe('event stream caps', () => {
  async function open(port: number, headers: Record<string, string> = {}): Promise<{ status: number; abort: () => void }> {
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream`, { headers, signal: abort.signal });
    if (res.status !== 200) await res.text();
    return { status: res.status, abort: () => abort.abort() };
  }

  it('64 unauthenticated streams do not lock out an authenticated dashboard', async () => {
    const port = await listen({ stream: { maxPerAddress: 100 } });
    const streams = [];
    for (let i = 0; i < 64; i += 1) streams.push(await open(port));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    const refused = await open(port);
    expect(refused.status).toBe(503);
    const dashboard = await open(port, bearer);
    expect(dashboard.status).toBe(200);
    for (const s of [...streams, dashboard]) s.abort();
  });

  it('caps streams per address', async () => {
    const port = await listen({ stream: { maxPerAddress: 2 } });
    const a = await open(port);
    const b = await open(port);
    const c = await open(port);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    for (const s of [a, b]) s.abort();
  });
});

describe('plan', () => {
  it('an unauthenticated GET /api/v1/plan is refused (401) and plans nothing', async () => {
    h = await harness({ readAccess: 'public' });
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/plan' });
    expect(res.statusCode).toBe(401);
    expect(h.facade.calls).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/plan', headers: bearer })).statusCode).toBe(200);
    const cookie = await login(h.app);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/plan', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('framework errors in the JSON error shape', () => {
  it('a malformed URL', async () => {
    h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/pis/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PIRACK_ERR_HTTP_BAD_REQUEST', reason: 'BadRequest' });
    expect(res.json().error.message).toMatch(/URL/);
  });

  it('request smuggling (Content-Length with Transfer-Encoding)', async () => {
    const port = await listen();
    const { text } = await raw(
      port,
      'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(jsonOf(text).error).toMatchObject({ code: 'PIRACK_ERR_HTTP_BAD_REQUEST', reason: 'BadRequest' });
    expect(text).not.toContain('"ok":true');
  });

  it('headers too large', async () => {
    const port = await listen();
    const { text } = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431/);
    expect(jsonOf(text).error).toMatchObject({ code: 'PIRACK_ERR_HTTP_HEADERS_TOO_LARGE' });
  });

  it('deep JSON nesting gets a clear 400', async () => {
    h = await harness();
    const deep = `{"op":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/rack/power',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: deep,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/nested deeper than 32 levels/);
    expect(h.facade.calls).toEqual([]);
  });

  it('a body that is too large, and malformed JSON', async () => {
    h = await harness();
    const big = await h.app.inject({
      method: 'POST',
      url: '/api/v1/login',
      headers: { 'content-type': 'application/json' },
      payload: `{"token":"${'x'.repeat(20_000)}"}`,
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PIRACK_ERR_HTTP_TOO_LARGE');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"token":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('PIRACK_ERR_HTTP_BAD_REQUEST');
  });

  it('CONNECT and WebSocket upgrades (found by the API fuzz: Node dropped them without a word)', async () => {
    const port = await listen();
    const tunnel = await raw(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(tunnel.text).toMatch(/^HTTP\/1\.1 400/);
    expect(jsonOf(tunnel.text).error.message).toMatch(/CONNECT is not supported/);
    const upgrade = await raw(port, 'GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(jsonOf(upgrade.text).error.code).toBe('PIRACK_ERR_HTTP_BAD_REQUEST');
  });

  it('an HTTP/1.1 request without Host (found by the API fuzz: a bare 400 without a body)', async () => {
    const port = await listen();
    const { text } = await raw(port, 'GET /api/v1/status HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(jsonOf(text).error.message).toMatch(/Host header/);
  });

  it('HEAD on the event stream is answered, not left open (found by the API fuzz)', async () => {
    const port = await listen();
    const { text } = await raw(port, 'HEAD /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    expect(text).toMatch(/^HTTP\/1\.1 404/);
  });
});
