/** The admin token and session ids never appear in a response body or a log line. */
import { describe, expect, it } from 'vitest';
import { TOKEN, bearer, harness } from './harness.ts';

describe('secrets', () => {
  it('never echoes the token or a session id, whatever the request', async () => {
    const h = await harness();
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    const sessionId = String(login.headers['set-cookie']).split(';')[0]!.split('=')[1]!;
    const cookie = `pirack_session=${sessionId}`;
    const bodies: string[] = [login.body];
    const requests = [
      { method: 'GET' as const, url: '/api/v1/status', headers: bearer },
      { method: 'GET' as const, url: '/api/v1/session', headers: { cookie } },
      { method: 'POST' as const, url: '/api/v1/reconcile', headers: { cookie } },
      {
        method: 'POST' as const,
        url: '/api/v1/rack/power',
        headers: { ...bearer, 'content-type': 'application/json' },
        payload: `{"op": "${TOKEN}"}`,
      },
      {
        method: 'POST' as const,
        url: '/api/v1/login',
        headers: { 'content-type': 'application/json' },
        payload: `{"token": "${TOKEN}", "extra": 1}`,
      },
      { method: 'POST' as const, url: '/api/v1/login', payload: { token: `${TOKEN}-wrong` } },
      { method: 'GET' as const, url: `/api/v1/nothing/${TOKEN}`, headers: bearer },
      { method: 'GET' as const, url: '/metrics', headers: { cookie } },
    ];
    for (const r of requests) bodies.push((await h.app.inject(r)).body);
    for (const body of bodies) {
      expect(body).not.toContain(TOKEN.slice(0, 20));
      expect(body).not.toContain(sessionId);
    }
    await h.app.close();
  });

  it('redacts credentials from log lines, even ones that log headers', async () => {
    const h = await harness();
    await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: `${TOKEN}-wrong` } });
    await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: { authorization: `Bearer ${TOKEN}-wrong` } });
    // A route logging the raw request headers must still not leak them.
    h.app.log.info({ req: { headers: { authorization: `Bearer ${TOKEN}`, cookie: 'pirack_session=abc' } }, token: TOKEN }, 'header dump');
    const text = h.logText();
    expect(text).toContain('login failed');
    expect(text).toContain('header dump');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(TOKEN.slice(0, 20));
    expect(text).not.toContain('pirack_session=abc');
    await h.app.close();
  });
});
