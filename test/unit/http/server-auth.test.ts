/** Authentication of the whole server: who may read, who may change, and that refused requests change nothing. */
import { describe, expect, it } from 'vitest';
import { TOKEN, bearer, harness } from './harness.ts';

const MUTATIONS: readonly [string, unknown?][] = [
  ['/api/v1/reconcile'],
  ['/api/v1/suspend'],
  ['/api/v1/resume'],
  ['/api/v1/pis/1/reboot'],
  ['/api/v1/pis/1/replaced', { message: 'replaced, confirmed by root' }],
  ['/api/v1/stacks/1/power', { op: 'off' }],
  ['/api/v1/rack/power', { op: 'cycle' }],
  ['/api/v1/pis/1/actions/cpu'],
  ['/api/v1/stacks/1/actions/cpu'],
  ['/api/v1/rack/actions/cpu'],
  ['/api/v1/stacks/1/power/confirm'],
  ['/api/v1.0/rasps/execute', { id: 1, action: 'cpu' }],
  ['/api/v1.0/stacks/execute', { id: 1, action: 'shutdown' }],
];

function sessionCookie(setCookie: string | string[] | undefined): string {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith('pirack_session='));
  if (!line) throw new Error('no session cookie set');
  return line.split(';')[0] as string;
}

describe('authentication', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: 'Bearer wrong-token-0123456789' }],
    ['a bearer token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
    ['a forged session cookie', { cookie: 'pirack_session=forged' }],
    ['the token as a cookie', { cookie: `pirack_session=${TOKEN}` }],
  ])('refuses every mutation with %s (401) and never reaches the daemon', async (_name, headers) => {
    // A failure limit above the 13 requests below, so each wrong token is answered 401, not 429.
    const h = await harness({ auth: { adminToken: TOKEN, failureLimit: { max: 100, windowMs: 60_000 } } });
    for (const [url, body] of MUTATIONS) {
      const res = await h.app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.reason).toBe('Unauthorized');
    }
    const installation = await h.app.inject({ method: 'GET', url: '/api/v1.0/installation', headers });
    expect(installation.statusCode).toBe(401);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('refuses an unauthenticated request before looking at its body', async () => {
    const h = await harness();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/rack/power',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(401);
    await h.app.close();
  });

  it('accepts the bearer token for every mutation', async () => {
    const h = await harness();
    for (const [url, body] of MUTATIONS) {
      const res = await h.app.inject({ method: 'POST', url, headers: bearer, ...(body === undefined ? {} : { payload: body as object }) });
      expect(res.statusCode, url).toBe(202);
    }
    expect(h.facade.calls.map((c) => c.method)).toEqual([
      'reconcileNow',
      'suspend',
      'resume',
      'rebootPi',
      'recordReplacement',
      'power',
      'power',
      'runAction',
      'runAction',
      'runAction',
      'confirmManualPower',
      'runAction',
      'power',
    ]);
    await h.app.close();
  });

  it('logs in with the token: HttpOnly SameSite=Strict session cookie for the whole site, then mutations work; logout ends it', async () => {
    const h = await harness();
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^pirack_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain(TOKEN);
    const cookie = sessionCookie(login.headers['set-cookie']);

    const session = await h.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(session.json()).toMatchObject({ authenticated: true, method: 'cookie' });
    const sameOrigin = { cookie, host: 'localhost:8080', origin: 'http://localhost:8080' };
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: sameOrigin });
    expect(ok.statusCode).toBe(202);

    const logout = await h.app.inject({ method: 'POST', url: '/api/v1/logout', headers: { cookie } });
    expect(logout.statusCode).toBe(200);
    const after = await h.app.inject({ method: 'POST', url: '/api/v1/reconcile', headers: sameOrigin });
    expect(after.statusCode).toBe(401);
    expect(h.facade.calls.filter((c) => c.method === 'reconcileNow')).toHaveLength(1);
    await h.app.close();
  });

  it('refuses a wrong token at login with 401 and sets no cookie', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: 'not-the-token' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    await h.app.close();
  });

  it('rate-limits wrong login tokens per client (429 past the limit), never the right one', async () => {
    const h = await harness({ auth: { adminToken: TOKEN, failureLimit: { max: 5, windowMs: 60_000 } } });
    for (let i = 0; i < 5; i += 1) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: `guess-${i}` } });
      expect(res.statusCode).toBe(401);
    }
    const limited = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: 'guess-6' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.reason).toBe('TooManyRequests');
    expect(limited.headers['set-cookie']).toBeUndefined();
    // Another client is not held back by this one, and the right token always logs in.
    const other = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: 'guess-7' }, remoteAddress: '127.0.0.2' });
    expect(other.statusCode).toBe(401);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } })).statusCode).toBe(200);
    await h.app.close();
  });

  it('refuses a cookie-authenticated mutation from a foreign origin (403)', async () => {
    const h = await harness();
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: TOKEN } });
    const cookie = sessionCookie(login.headers['set-cookie']);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { cookie, origin: 'http://evil.example', host: 'localhost:80' },
    });
    expect(res.statusCode).toBe(403);
    const same = await h.app.inject({
      method: 'POST',
      url: '/api/v1/reconcile',
      headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' },
    });
    expect(same.statusCode).toBe(202);
    expect(h.facade.calls.filter((c) => c.method === 'reconcileNow')).toHaveLength(1);
    await h.app.close();
  });

  it('with readAccess public, reads need no credentials', async () => {
    const h = await harness({ readAccess: 'public' });
    for (const url of ['/api/v1/status', '/api/v1/pis', '/api/v1.0/rasps', '/metrics']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    await h.app.close();
  });

  it('with readAccess authenticated, every read needs credentials except /healthz and the dashboard files', async () => {
    const h = await harness({ readAccess: 'authenticated' });
    for (const url of [
      '/api/v1/status',
      '/api/v1/stacks',
      '/api/v1/stacks/1',
      '/api/v1/pis',
      '/api/v1/pis/1',
      '/api/v1/plan',
      '/api/v1/events',
      '/api/v1/events/stream',
      '/api/v1/actions',
      '/metrics',
      '/api/v1.0/rasps',
      '/api/v1.0/rasps/1',
      '/api/v1.0/rasps/options',
      '/api/v1.0/stacks',
      '/api/v1.0/stacks/1',
      '/api/v1.0/stacks/options',
    ]) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/status', headers: bearer })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/ui/js/app.js' })).statusCode).toBe(200);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });
});
