/**
 * Issue 14's runs through the REAL `pirack daemon` (a child process on the lab's rack.yaml) on a
 * 1 × 3 virtual rack: `pirack run cpu` goes through the daemon with `--token`, and a rolling
 * reboot started from the dashboard's Runs view (headless Chromium) shows its progress live, a
 * Pi at a time, to the end, without a reload. Screenshots go to test-artifacts/e2e/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec } from '../../src/lab/index.ts';
import type { RunReport } from '../../src/daemon/rolling.ts';
import type { StatusReport } from '../../src/model/status.ts';
import { launchChromium } from '../ui/browser.ts';
import { runCli } from '../support/cli.ts';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 1, perStack: 3 });
const TOKEN = 'e2e-rolling-admin-token-0123456789abcdef';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));

let daemon: DaemonProcess | undefined;
let base: string;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const logTail = () => daemon?.logTail() ?? '(no daemon)';

async function bootId(pi: number): Promise<string> {
  return (await labExec(pi, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  daemon = await startDaemonProcess(['--rack', lab().rackYaml, '--state-dir', lab().stateDir], TOKEN);
  base = daemon.base;
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

describe('runs through the daemon', () => {
  it('converges the lab (every Pi Ready)', async () => {
    await waitUntil(
      'every Pi Ready',
      240_000,
      async () => {
        const status = (await (
          await fetch(`${base}api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).json()) as StatusReport;
        const ready = status.nodes.filter((n) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True');
        return ready.length === 3 ? true : undefined;
      },
      { every: 1000, context: logTail },
    );
  });

  it('`pirack run cpu --stack 1 --token …` goes through the daemon and answers a number per Pi', async () => {
    const r = await runCli([
      'run',
      'cpu',
      '--stack',
      '1',
      '--json',
      '--token',
      TOKEN,
      '--rack',
      lab().rackYaml,
      '--state-dir',
      lab().stateDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as RunReport;
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.pis.map((p) => [p.node, p.state])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'ok'],
    ]);
    for (const p of run.pis) expect(Number.isFinite(Number(p.data)), String(p.data)).toBe(true);
    const wrong = await runCli([
      'run',
      'cpu',
      '--stack',
      '1',
      '--token',
      'not-the-token-not-the-token',
      '--rack',
      lab().rackYaml,
      '--state-dir',
      lab().stateDir,
    ]);
    expect(wrong.code).not.toBe(0);
  });

  it('a rolling reboot started from the dashboard shows its progress live, a Pi at a time, to the end', async () => {
    const before = await Promise.all([1, 2, 3].map(bootId));
    await page.goto(base);
    await page.locator('#login-token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('[data-testid="pi-1"]').waitFor({ timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 14));
    await page.locator('a[data-view="runs"]').click();
    await page.locator('.run-form select[name="action"]').selectOption('reboot');
    await page.locator('.run-form select[name="scope"]').selectOption('stacks');
    await page.locator('.run-form input[name="ids"]').fill('1');
    await page.locator('.run-form input[name="maxUnavailable"]').fill('1');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.run[data-action="reboot"][data-state="running"]').waitFor({ timeout: 10_000 });
    // Live: Pi 1 is seen rebooting while Pi 3 still waits, then the run ends with all three ok.
    await page.waitForFunction(
      () => {
        const row = (pi: number) =>
          document.querySelector(`.run[data-action="reboot"] .run-pis tr[data-pi="${pi}"]`)?.getAttribute('data-state');
        return row(1) === 'running' && row(3) === 'pending';
      },
      undefined,
      { timeout: 30_000, polling: 100 },
    );
    await page.screenshot({ path: `${ARTIFACTS}rolling-running.png`, fullPage: true });
    await page.waitForFunction(
      () => {
        const row = (pi: number) =>
          document.querySelector(`.run[data-action="reboot"] .run-pis tr[data-pi="${pi}"]`)?.getAttribute('data-state');
        return row(1) === 'ok' && row(2) === 'running';
      },
      undefined,
      { timeout: 120_000, polling: 100 },
    );
    await page.locator('.run[data-action="reboot"][data-state="done"]').waitFor({ timeout: 240_000 });
    await page.screenshot({ path: `${ARTIFACTS}rolling-done.png`, fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).toBe(14);
    const after = await Promise.all([1, 2, 3].map(bootId));
    for (const i of [0, 1, 2]) expect(after[i]).not.toBe(before[i]);
    expect(problems).toEqual([]);
  });

  it('refuses maxUnavailable 0 from the API with a clear error, starting nothing', async () => {
    const res = await fetch(`${base}api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'reboot', stacks: [1], maxUnavailable: 0 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/maxUnavailable 0: at least 1 Pi must be allowed down/);
    const unknown = await fetch(`${base}api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'reboot', stacks: [99] }),
    });
    expect(unknown.status).toBe(404);
  });
});
