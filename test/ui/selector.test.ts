/**
 * The dashboard's search box with a label selector, in headless Chromium against the real HTTP
 * server: `role=worker` marks exactly the labelled Pis (matched by the daemon's selector module
 * through /api/v1/pis?selector=), and an unknown label shows the daemon's error instead of a count.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.ts';
import { createFakeFacade } from '../unit/http/fake-facade.ts';
import { launchChromium } from './browser.ts';

const TOKEN = 'ui-selector-admin-token-abcdefghijklmnopqrstuvwxyz01';
let app: FastifyInstance;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const facade = createFakeFacade();
  facade.report = {
    ...facade.report,
    nodes: facade.report.nodes.map((n) => ({ ...n, labels: [2, 5, 7].includes(n.id) ? { role: 'worker' } : { role: 'spare' } })),
  };
  app = await createHttpServer({
    facade,
    log: pino({ level: 'silent' }),
    auth: { adminToken: TOKEN },
    readAccess: 'authenticated',
    stateDir: '/nonexistent',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
  await page.locator('#login-token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('[data-testid="pi-1"]').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('dashboard filter by label', () => {
  it('role=worker marks exactly the labelled Pis and dims the rest', async () => {
    await page.locator('[data-testid="search"]').fill('role=worker');
    await expect.poll(() => page.locator('.search-result').textContent()).toBe('3 matches');
    const marked = await page.locator('.tile.match').evaluateAll((tiles) => tiles.map((t) => (t as HTMLElement).dataset.pi));
    expect(marked).toEqual(['2', '5', '7']);
    await expect(page.locator('.tile.dim').count()).resolves.toBe(5);
  });

  it('an unknown label shows the error, not an empty match', async () => {
    await page.locator('[data-testid="search"]').fill('rol=worker');
    await expect.poll(() => page.locator('.search-result').textContent()).toMatch(/no Pi in the rack has the label "rol"/);
    await page.locator('[data-testid="search"]').fill('');
    await expect(page.locator('.tile.dim').count()).resolves.toBe(0);
  });
});
