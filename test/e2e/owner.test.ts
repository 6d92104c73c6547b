/**
 * Issue 15's acceptance on the virtual rack (real dnsmasq, OpenSSH, systemd): the original's
 * install flow, started with `GET /api/v1.0/installation` and the bearer token, enlists a blank
 * stack and answers with the stacks as the original did; the hostname controller names every Pi
 * (live, /etc/hostname, /etc/hosts) and the name survives a `systemctl reboot` with no daemon
 * running to set it again (the lab restarts a rebooting Pi's container, as systemd-nspawn@ does); a
 * label selector (`role=worker`, on Pi 2 only) reaches exactly Pi 2 in `run` (the API), the
 * dashboard's search box (Chromium against the daemon's own server) and `pirack plan -l`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { labExec } from '../../src/lab/index.ts';
import { launchChromium } from '../ui/browser.ts';
import { captureLog } from '../support/captured-log.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 1, perStack: 2, blankInventory: true, poweredStacks: [] });
const TOKEN = 'owner-e2e-admin-token-abcdefghijklmnopqrstuvwxyz0123';
const NAMES: Record<number, string> = { 1: 'rack-node-one', 2: 'rack-node-two' };

let daemon: Daemon | undefined;
let app: FastifyInstance | undefined;
let api = '';
const captured = captureLog();
let rackPath = '';
const WORKER = 2;

function lastLog(): string {
  return captured.tail(20);
}

beforeAll(async () => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as {
    stacks: { power: string; pis: { id: number; hostname?: string; labels?: Record<string, string> }[] }[];
    policies: Record<string, unknown>;
  };
  for (const stack of doc.stacks) {
    stack.power = 'on';
    for (const pi of stack.pis) {
      pi.hostname = NAMES[pi.id]!;
      pi.labels = { role: pi.id === WORKER ? 'worker' : 'spare' };
    }
  }
  // The default resync (5m) and backoff; the enlistment window is tuned to 15 s (default 40 s) so
  // the install flow's wait for the blank stack's leases is shorter.
  doc.policies = { ...doc.policies, enlistWindow: '15s' };
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  const log = captured.log;
  daemon = new Daemon({ stateDir: lab().stateDir, log });
  await daemon.offer({ revision: 'owner-e2e', text: readFileSync(rackPath, 'utf8'), path: rackPath });
  app = await createHttpServer({ facade: daemon, log, auth: { adminToken: TOKEN }, readAccess: 'public', stateDir: lab().stateDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await daemon?.close();
});

describe("the original's install flow and hostnames on the virtual rack", () => {
  it('a cookie-less GET /api/v1.0/installation without the token is refused in the original shape', async () => {
    const res = await fetch(`${api}/api/v1.0/installation`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ status: 401, data: 'authentication required' });
  });

  it('GET /api/v1.0/installation with the token enlists the blank stack and answers with the stacks', async () => {
    const res = await fetch(`${api}/api/v1.0/installation`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { stacks: { id: number; power: string }[] };
    expect(res.status, lastLog()).toBe(200);
    expect(body.stacks.map((s) => [s.id, s.power])).toEqual([[1, 'On']]);
    const bindings = JSON.parse(readFileSync(join(lab().stateDir, 'bindings.json'), 'utf8')) as { bindings: Record<string, unknown> };
    expect(Object.keys(bindings.bindings).sort()).toEqual(['1', '2']);
  }, 240_000);

  it('sets the hostname, /etc/hostname and the 127.0.1.1 line on every Pi', async () => {
    for (const id of [1, 2]) {
      await waitUntil(
        `pi ${id} named ${NAMES[id]}`,
        150_000,
        async () => {
          const r = await labExec(id, 'hostname; head -n1 /etc/hostname; grep "^127.0.1.1" /etc/hosts').catch(() => undefined);
          const lines = r?.stdout.trim().split('\n') ?? [];
          return lines[0] === NAMES[id] && lines[1] === NAMES[id] && lines[2]?.split(/\s+/)[1] === NAMES[id] ? true : undefined;
        },
        { every: 1000, context: lastLog },
      );
    }
    // The names are on the Pis as soon as the step ran; the condition follows when the pass ends.
    const inSync = () => daemon!.status().nodes.every((n) => n.conditions.find((c) => c.type === 'HostnameInSync')?.status === 'True');
    await waitUntil('HostnameInSync on every Pi', 30_000, () => (inSync() ? true : undefined), { every: 250, context: lastLog });
    for (const n of daemon!.status().nodes)
      expect(n.conditions.find((c) => c.type === 'HostnameInSync')?.status, n.id.toString()).toBe('True');
  }, 200_000);

  it('a label selector reaches exactly the labelled Pi in run and in the dashboard filter', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const started = await fetch(`${api}/api/v1/runs`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ action: 'cpu', selector: 'role=worker' }),
    });
    const { run } = (await started.json()) as { run: { id: string } };
    expect(started.status, lastLog()).toBe(202);
    const report = await waitUntil(
      'the run done',
      60_000,
      async () => {
        const r = (await (await fetch(`${api}/api/v1/runs/${run.id}`, { headers: auth })).json()) as {
          state: string;
          pis: { node: number; state: string }[];
        };
        return r.state === 'running' ? undefined : r;
      },
      { every: 500, context: lastLog },
    );
    expect(report.state).toBe('done');
    expect(report.pis.map((p) => p.node)).toEqual([WORKER]);
    const typo = await fetch(`${api}/api/v1/runs`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ action: 'cpu', selector: 'rol=worker' }),
    });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { message: string }).message).toMatch(/has the label "rol"/);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${api}/`);
      await page.locator('#login-token').fill(TOKEN);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator(`[data-testid="pi-${WORKER}"]`).waitFor();
      await page.locator('[data-testid="search"]').fill('role=worker');
      await expect.poll(() => page.locator('.search-result').textContent()).toBe('1 match');
      const marked = await page.locator('.tile.match').evaluateAll((tiles) => tiles.map((t) => (t as HTMLElement).dataset.pi));
      expect(marked).toEqual([String(WORKER)]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('with the daemon stopped, `pirack plan -l role=worker` shows the drift of the labelled Pi only', async () => {
    await app?.close();
    app = undefined;
    await daemon?.close();
    daemon = undefined;
    for (const id of [1, 2]) await labExec(id, "echo '# drift' >> /etc/systemd/system/pirack-slave.service");
    const plan = async (...extra: string[]) => {
      const r = await runCli(['plan', '--rack', rackPath, '--state-dir', lab().stateDir, '--json', ...extra], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const entries = JSON.parse(r.stdout) as { pi?: number; actions: { kind: string }[] }[];
      return entries.filter((e) => e.pi !== undefined && e.actions.some((a) => a.kind === 'file-write')).map((e) => e.pi);
    };
    expect(await plan()).toEqual([1, 2]);
    expect(await plan('-l', 'role=worker')).toEqual([WORKER]);
    expect(await plan('-l', '!role')).toEqual([]);
  }, 300_000);

  it('the name survives a reboot with no daemon running', async () => {
    const bootId = async () => (await labExec(1, 'cat /proc/sys/kernel/random/boot_id').catch(() => undefined))?.stdout.trim();
    const before = await bootId();
    expect(before).toBeTruthy();
    await labExec(1, 'nohup setsid sh -c "sleep 0.5; systemctl reboot" >/dev/null 2>&1 &');
    await waitUntil(
      'pi 1 booted again (a new boot id)',
      120_000,
      async () => {
        const now = await bootId();
        return now && now !== before ? true : undefined;
      },
      { every: 1000 },
    );
    const name = await waitUntil(
      'pi 1 has a hostname after its boot',
      60_000,
      async () => (await labExec(1, 'hostname').catch(() => undefined))?.stdout.trim() || undefined,
      { every: 1000 },
    );
    expect(name).toBe(NAMES[1]);
    expect((await labExec(1, 'cat /etc/hostname')).stdout.trim()).toBe(NAMES[1]);
  }, 200_000);
});
