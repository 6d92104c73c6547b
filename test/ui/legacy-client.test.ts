/**
 * The original's web client, replayed from a page on another origin in real headless Chromium
 * against the real HTTP server (fake facade). The page makes the calls the original's AngularJS
 * client made ($http GET /api/v1.0/rasps, /stacks, POST /rasps/execute) and shows errors the way it
 * did, from `response.data.status` and `response.data.data`. With rack.yaml's CORS on and the token,
 * reads and execute work; without a token the page shows "Status: 401 authentication required";
 * with CORS off the browser itself blocks the read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.ts';
import { createFakeFacade, type FakeFacade } from '../unit/http/fake-facade.ts';
import { launchChromium } from './browser.ts';

const TOKEN = 'ui-legacy-admin-token-abcdefghijklmnopqrstuvwxyz0123';

// The original's calls and its error display (response.data.status, response.data.data), with fetch for $http.
const PAGE = `<!doctype html><html><body><pre id="out"></pre><script>
const out = document.getElementById('out');
const show = (line) => { out.textContent += line + '\\n'; };
async function call(api, method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  try {
    const res = await fetch(api + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await res.json();
    if (!res.ok) { show('Status: ' + data.status + ' ' + data.data); return undefined; }
    return data;
  } catch (err) { show('Blocked: ' + err.message); return undefined; }
}
window.replay = async (api, token) => {
  out.textContent = '';
  const rasps = await call(api, 'GET', '/api/v1.0/rasps', token);
  if (rasps) show('rasps ' + rasps.rasps.length + ' first ' + rasps.rasps[0].ip);
  const stacks = await call(api, 'GET', '/api/v1.0/stacks', token);
  if (stacks) show('stacks ' + stacks.stacks.map((s) => s.id + ':' + s.Sstatus).join(','));
  const exec = await call(api, 'POST', '/api/v1.0/rasps/execute', token, { id: '1', action: 'Temperature' });
  if (exec) show('execute ' + exec.status + ' ' + exec.data);
  return out.textContent;
};
</script></body></html>`;

let app: FastifyInstance;
let facade: FakeFacade;
let api: string;
let client: Server;
let clientUrl: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  facade = createFakeFacade();
  facade.result = { ok: true, code: 200, message: 'temperature done', data: '47.2' };
  app = await createHttpServer({
    facade,
    log: pino({ level: 'silent' }),
    auth: { adminToken: TOKEN },
    readAccess: 'authenticated',
    stateDir: '/nonexistent',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  client = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE));
  await new Promise<void>((done) => client.listen(0, '127.0.0.1', done));
  // Another origin: another host name and port than the API's.
  clientUrl = `http://localhost:${(client.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${clientUrl}/`);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await new Promise((done) => client?.close(done));
});

const replay = (token?: string) =>
  page.evaluate(([a, t]) => (window as unknown as { replay(a: string, t?: string): Promise<string> }).replay(a!, t), [api, token]);

describe("the original's client from another origin", () => {
  it('with CORS on and the token: reads and execute work', async () => {
    facade.httpSettingsValue = { cors: { origins: [clientUrl], credentials: false } };
    const text = await replay(TOKEN);
    expect(text).toBe('rasps 8 first 10.77.0.70\nstacks 1:okStatus,2:warningStatus,3:koStatus\nexecute 200 47.2\n');
    expect(facade.calls).toContainEqual({ method: 'runAction', args: [{ scope: 'pi', id: 1 }, 'temperature'] });
  });

  it('with CORS on and no token: the original shape makes the client say why', async () => {
    const text = await replay(undefined);
    expect(text.split('\n').filter(Boolean)).toEqual([
      'Status: 401 authentication required',
      'Status: 401 authentication required',
      'Status: 401 authentication required',
    ]);
  });

  it('with CORS off (the default) the browser blocks the calls, token or not', async () => {
    facade.httpSettingsValue = undefined;
    // A fresh context: the browser caches the earlier preflights (Access-Control-Max-Age).
    page = await (await browser.newContext()).newPage();
    await page.goto(`${clientUrl}/`);
    const before = facade.calls.length;
    const text = await replay(TOKEN);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('Blocked: ')),
    ).toBe(true);
    // The preflight of the POST failed, so the daemon was never asked to run anything.
    expect(facade.calls.slice(before).some((c) => c.method === 'runAction')).toBe(false);
  });
});
