/** Opt-in CORS (rack.yaml http.cors) and the legacy client's static files. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, harness } from './harness.ts';

const CLIENT = 'http://client.test:8000';

const preflight = (url: string, origin = CLIENT) => ({
  method: 'OPTIONS' as const,
  url,
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
});

describe('CORS', () => {
  it('is off by default: no CORS headers, and a preflight is not answered', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps', headers: { origin: CLIENT } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await h.app.inject(preflight('/api/v1.0/rasps/execute'));
    expect(pre.statusCode).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.json().error.code).toBe('PIRACK_ERR_HTTP_NOT_FOUND');
    await h.app.close();
  });

  it('with listed origins: preflights pass without credentials, the token works, the 401 is readable', async () => {
    const h = await harness({ readAccess: 'authenticated' });
    h.facade.httpSettingsValue = { cors: { origins: [CLIENT], credentials: false } };
    const pre = await h.app.inject(preflight('/api/v1.0/rasps/execute'));
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(CLIENT);
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();

    const read = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps', headers: { origin: CLIENT, ...bearer } });
    expect(read.statusCode).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe(CLIENT);

    const exec = await h.app.inject({
      method: 'POST',
      url: '/api/v1.0/rasps/execute',
      headers: { origin: CLIENT, ...bearer },
      payload: { id: 1, action: 'cpu' },
    });
    expect(exec.statusCode).toBe(202);
    expect(h.facade.calls).toContainEqual({ method: 'runAction', args: [{ scope: 'pi', id: 1 }, 'cpu'] });

    const denied = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps', headers: { origin: CLIENT } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe(CLIENT);
    expect(denied.json()).toMatchObject({ status: 401, data: 'authentication required' });
    await h.app.close();
  });

  it('an origin not listed gets no CORS headers; a new setting applies without a restart', async () => {
    const h = await harness();
    h.facade.httpSettingsValue = { cors: { origins: [CLIENT], credentials: false } };
    const other = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps', headers: { origin: 'http://evil.test' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    h.facade.httpSettingsValue = { cors: { origins: ['*'], credentials: false } };
    const any = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps', headers: { origin: 'http://evil.test' } });
    expect(any.headers['access-control-allow-origin']).toBe('*');
    await h.app.close();
  });

  it('a cookie from another origin still cannot change anything, even with credentials on', async () => {
    const h = await harness();
    h.facade.httpSettingsValue = { cors: { origins: [CLIENT], credentials: true } };
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/login', payload: { token: bearer.authorization.slice(7) } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1.0/rasps/execute',
      headers: { origin: CLIENT, cookie },
      payload: { id: 1, action: 'cpu' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(h.facade.calls.some((c) => c.method === 'runAction')).toBe(false);
    await h.app.close();
  });
});

describe('a legacy client served from a directory the user names', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('serves its files under /legacy/ (index.html for the folder) and nothing outside them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-legacy-'));
    mkdirSync(join(dir, 'js'));
    writeFileSync(join(dir, 'index.html'), '<html>original</html>');
    writeFileSync(join(dir, 'js', 'app.js'), 'angular.module("x")');
    writeFileSync(join(dir, 'secret.txt'), 'not served');
    const h = await harness({ legacyClientDir: dir });
    const index = await h.app.inject({ method: 'GET', url: '/legacy/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toBe('<html>original</html>');
    const js = await h.app.inject({ method: 'GET', url: '/legacy/js/app.js' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await h.app.inject({ method: 'GET', url: '/legacy/secret.txt' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/legacy/../package.json' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/legacy' })).statusCode).toBe(302);
    await h.app.close();
  });

  it('a directory that cannot be read fails the start with its path', async () => {
    await expect(harness({ legacyClientDir: '/nonexistent/legacy-client' })).rejects.toThrow(/nonexistent\/legacy-client/);
  });
});
