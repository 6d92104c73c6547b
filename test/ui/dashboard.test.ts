/**
 * The dashboard in real headless Chromium against the real HTTP server and a fake facade whose
 * status the test changes: log in, watch a Pi break and recover live, search, run actions through
 * the confirmation dialog, and take screenshots (test-artifacts/ui/) on desktop and phone.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.ts';
import { createFakeFacade, readyConditions, unreachableConditions, type FakeFacade } from '../unit/http/fake-facade.ts';
import { launchChromium } from './browser.ts';

const TOKEN = 'ui-test-admin-token-abcdefghijklmnopqrstuvwxyz012345';
const ARTIFACTS = new URL('../../test-artifacts/ui/', import.meta.url).pathname;

let app: FastifyInstance;
let facade: FakeFacade;
let base: string;
let browser: Browser;
const problems: string[] = [];

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

async function loggedInPage(context: BrowserContext, loginShot?: string): Promise<Page> {
  const page = await context.newPage();
  // CSP violations and script errors show up here; the dashboard must produce none.
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(base);
  await page.locator('#login-token').waitFor();
  if (loginShot) await shot(page, loginShot);
  await page.locator('#login-token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('[data-testid="pi-1"]').waitFor();
  return page;
}

function lastCall(method: string) {
  return facade.calls.filter((c) => c.method === method).at(-1);
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  facade = createFakeFacade();
  facade.emit({ kind: 'pass', target: 'rack', message: 'reconcile pass finished: 3 of 8 Pis ready', result: 'info', durationMs: 1234 });
  facade.emit({ kind: 'pkg-install', target: 'pi 3', message: 'install bc', result: 'failed', durationMs: 5300 });
  app = await createHttpServer({
    facade,
    log: pino({ level: 'silent' }),
    auth: { adminToken: TOKEN },
    readAccess: 'authenticated',
    stateDir: '/nonexistent',
    stream: { statusPollMs: 150, heartbeatMs: 2000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('dashboard on a desktop', () => {
  let page: Page;

  beforeAll(async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await loggedInPage(context, 'login');
  });

  it('shows the rack grid, header and legend after login', async () => {
    await expect(page.locator('[data-testid="ready-count"]').textContent()).resolves.toBe('Ready 3/8');
    await expect(page.locator('.stack').count()).resolves.toBe(3);
    await expect(page.locator('[data-testid="pi-1"]').getAttribute('data-state')).resolves.toBe('ready');
    await expect(page.locator('[data-testid="pi-3"]').getAttribute('data-state')).resolves.toBe('converging');
    await expect(page.locator('[data-testid="pi-5"]').getAttribute('data-state')).resolves.toBe('unreachable');
    await expect(page.locator('[data-testid="pi-6"]').getAttribute('data-state')).resolves.toBe('quarantined');
    await expect(page.locator('[data-testid="pi-7"]').getAttribute('data-state')).resolves.toBe('off');
    // Stack 3 stands at row 2, column 1 as its (x, y) says.
    const placement = await page
      .locator('[data-stack="3"]')
      .evaluate((el) => [getComputedStyle(el).gridRowStart, getComputedStyle(el).gridColumnStart]);
    expect(placement).toEqual(['2', '1']);
    await expect(page.locator('[data-legend="unreachable"] .legend-count').textContent()).resolves.toBe('1');
    await shot(page, 'rack-desktop');
  });

  it('turns a tile red when its Pi becomes unreachable and back when it recovers, without reloading', async () => {
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 42));
    const tile = page.locator('[data-testid="pi-1"]');
    const readyColour = await tile.evaluate((el) => getComputedStyle(el).backgroundColor);

    facade.updateNode(1, (n) => ({
      ...n,
      conditions: unreachableConditions(),
      lastError: { code: 'PIRACK_ERR_SSH_TIMEOUT', message: 'connect timed out after 10s', at: new Date().toISOString() },
    }));
    facade.emit({ kind: 'probe', target: 'pi 1', message: 'pi 1 stopped answering: connect timed out', result: 'failed' });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="pi-1"]')?.getAttribute('data-state') === 'unreachable',
      undefined,
      { timeout: 5000 },
    );
    // Colours fade over 0.3 s: poll until the transition has settled.
    await expect.poll(() => tile.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(253, 233, 233)');
    expect(readyColour).toBe('rgb(230, 246, 236)');
    await expect(tile.locator('.tile-state').textContent()).resolves.toBe('Unreachable');
    await shot(page, 'rack-pi-unreachable');

    facade.updateNode(1, (n) => ({ ...n, conditions: readyConditions(), lastError: undefined }));
    facade.emit({ kind: 'probe', target: 'pi 1', message: 'pi 1 answers again', result: 'ok' });
    await page.waitForFunction(() => document.querySelector('[data-testid="pi-1"]')?.getAttribute('data-state') === 'ready', undefined, {
      timeout: 5000,
    });
    await expect.poll(() => tile.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(readyColour);
    await expect(page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).resolves.toBe(42);
  });

  it('highlights the Pi matching a MAC search and dims the others', async () => {
    await page.locator('[data-testid="search"]').fill('b8:27:eb:00:00:05');
    await expect(page.locator('[data-testid="pi-5"]').getAttribute('class')).resolves.toContain('match');
    await expect(page.locator('[data-testid="pi-1"]').getAttribute('class')).resolves.toContain('dim');
    await shot(page, 'rack-search');
    await page.locator('[data-testid="search"]').fill('10.77.0.73');
    await expect(page.locator('[data-testid="pi-4"]').getAttribute('class')).resolves.toContain('match');
    await page.locator('[data-testid="search"]').fill('');
    await expect(page.locator('.tile.dim').count()).resolves.toBe(0);
  });

  it('shows a Pi in detail and runs an action only after confirmation', async () => {
    await page.locator('[data-testid="pi-5"]').click();
    const detail = page.locator('#detail');
    await detail.waitFor();
    await expect(detail.textContent()).resolves.toContain('10.77.0.74');
    await expect(detail.locator('[data-testid="detail-error"]').textContent()).resolves.toContain('PIRACK_ERR_SSH_TIMEOUT');
    await expect(detail.locator('.cond-false .cond-reason').first().textContent()).resolves.toMatch(/^SshTimeout · since /);
    await shot(page, 'pi-detail');

    const before = facade.calls.length;
    await page.locator('[data-testid="pi-reboot"]').click();
    await page.locator('#confirm').waitFor();
    await page.locator('#confirm-cancel').click();
    await expect(page.locator('#confirm').isVisible()).resolves.toBe(false);
    expect(facade.calls.length).toBe(before);

    await page.locator('[data-testid="pi-action-select"]').selectOption('uptime');
    await page.locator('[data-testid="pi-action-run"]').click();
    await expect(page.locator('#confirm-title').textContent()).resolves.toContain('uptime');
    await shot(page, 'confirm-dialog');
    await page.locator('#confirm-ok').click();
    await expect.poll(() => lastCall('runAction')?.args).toEqual([{ scope: 'pi', id: 5 }, 'uptime']);
    await page.locator('.toast').first().waitFor();
    await page.locator('[data-testid="detail-close"]').click();
    await expect(detail.isVisible()).resolves.toBe(false);
  });

  it('power-cycles a stack and reconciles through the confirmation dialog', async () => {
    await page.locator('[data-testid="stack-menu-2"] summary').click();
    await page.locator('[data-testid="stack-menu-2"]').getByRole('menuitem', { name: 'Power cycle' }).click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => lastCall('power')?.args).toEqual([{ scope: 'stack', id: 2 }, 'cycle']);

    await page.locator('[data-testid="rack-menu"] summary').click();
    await page.locator('[data-testid="rack-menu"]').getByRole('menuitem', { name: 'temperature' }).click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => lastCall('runAction')?.args).toEqual([{ scope: 'rack' }, 'temperature']);

    await page.locator('[data-testid="reconcile-now"]').click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => facade.calls.some((c) => c.method === 'reconcileNow')).toBe(true);

    await page.locator('[data-testid="suspend"]').click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => lastCall('suspend')).toBeDefined();
  });

  it('shows a rejected rack.yaml revision with its positions', async () => {
    facade.report = {
      ...facade.report,
      generatedAt: new Date().toISOString(),
      rack: {
        ...facade.report.rack,
        lastAttemptedRevision: 'sha256:9b1d0e77aa',
        revisionErrors: [
          'rack.yaml:14:9: stacks[1].pis[0].ip must be inside network.subnet 10.77.0.0/24',
          'rack.yaml:31:5: unknown key "pakages"',
        ],
      },
    };
    const banner = page.locator('#revision-errors');
    await banner.waitFor({ timeout: 5000 });
    await expect(banner.textContent()).resolves.toContain('rack.yaml:14:9');
    await expect(page.locator('[data-testid="suspended"]').isVisible()).resolves.toBe(true);
    await shot(page, 'revision-rejected');
  });

  it('lists events live and shows the plan and enlistment pages', async () => {
    await page.locator('.tabs a[data-view="events"]').click();
    await expect(page.locator('table.events tbody tr').first().textContent()).resolves.toContain('pi 1 answers again');
    facade.emit({ kind: 'service-restart', target: 'pi 2', message: 'restart pirack-slave.service', result: 'ok', durationMs: 420 });
    await page.waitForFunction(
      () => document.querySelector('table.events tbody tr')?.textContent?.includes('restart pirack-slave.service') === true,
      undefined,
      { timeout: 5000 },
    );
    await shot(page, 'events');

    await page.locator('.tabs a[data-view="plan"]').click();
    await page.getByText('install bc').first().waitFor();
    await shot(page, 'plan');

    facade.report = {
      ...facade.report,
      generatedAt: new Date().toISOString(),
      rack: {
        ...facade.report.rack,
        enlistment: {
          active: true,
          stackIndex: 1,
          stackCount: 3,
          stack: 2,
          found: 2,
          expected: 3,
          elapsedMs: 25_000,
          remainingMs: 15_000,
          message: 'Stack 2 is powered alone; watching DHCP for new MAC addresses.',
        },
      },
    };
    await page.locator('.tabs a[data-view="enlistment"]').click();
    await page.locator('[data-testid="enlist-progress"]').waitFor({ timeout: 5000 });
    await expect(page.locator('[data-testid="enlist-progress"]').evaluate((el) => (el as HTMLProgressElement).value)).resolves.toBe(2);
    await shot(page, 'enlistment');
  });

  it('produced no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});

describe('dashboard on a phone', () => {
  it('fits 390×844 without sideways scrolling and opens details as a sheet', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await loggedInPage(context);
    await page.evaluate(() => (location.hash = '#/rack'));
    await page.locator('[data-testid="pi-4"]').waitFor();
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    await shot(page, 'phone-rack');
    await page.locator('[data-testid="pi-4"]').tap();
    await page.locator('#detail').waitFor();
    const box = await page.locator('#detail').boundingBox();
    expect(box?.width).toBe(390);
    await page.screenshot({ path: `${ARTIFACTS}phone-detail.png` });
    await context.close();
    expect(problems).toEqual([]);
  });
});
