/**
 * Issue 12's virtual master on the stock-OS lab (a sudo user `pi`, no root login): a container
 * from the lab's image on the lab's bridge, set up the way the README's "On a real rack" section
 * says, step by step, and then running the rack under its own systemd:
 *
 * - apt-get the prerequisites (from the lab's repository: no internet), `npm install -g` of the
 *   packed tarball (offline, from the host's npm cache, native modules built in the master);
 * - `pirack master install` refused on a machine that is not a Pi, then done with --force, and a
 *   second run that changes nothing;
 * - `pirack validate`, the bootstrap password in secrets/, `pirack plan`, `pirack apply --once`
 *   converging the blank Pis through sudo, `systemctl start pirack`;
 * - status over the API, from the host through the bridge; a stack power-cycled by the master
 *   through its relay (the gpiod driver on the lab's stand-in tools), the Pi getting its fixed
 *   address back from the master's dnsmasq (the host's was stopped first);
 * - `systemctl restart pirack` changes no relay and re-converges nothing that was in sync.
 *
 * Where it departs from the README, and why: the README's `pirack import structure_rack.ini`
 * describes the original's real rack (192.168.23.0/24, never probed), so the master gets the
 * lab's rack as rack.yaml instead; `npm install -g` adds `--offline` (the container cannot reach
 * the registry). The root-login lab's run is test/e2e/virtual-master-root.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { labExec } from '../../src/lab/index.ts';
import { DIST_IN_MASTER } from '../../src/lab/master.ts';
import { labMac } from '../../src/lab/paths.ts';
import type { RackEvent, StatusReport } from '../../src/model/status.ts';
import { useLab } from '../support/lab.ts';
import { useVirtualMaster } from '../support/virtual-master.ts';
import { allReady } from '../support/daemon-api.ts';
import { waitUntil } from '../support/wait.ts';

const STACKS = 2;
const PER_STACK = 1;
const PIS = [1, 2];
const lab = useLab({ stacks: STACKS, perStack: PER_STACK });
const master = useVirtualMaster(lab, { stacks: STACKS, perStack: PER_STACK, rootLogin: false });

const api = <T>(path: string): Promise<T> => master().api<T>(path);

async function readyOverApi(what: string, ms: number): Promise<StatusReport> {
  let last: StatusReport | undefined;
  return waitUntil(
    what,
    ms,
    async () => {
      last = await api<StatusReport>('/api/v1/status');
      return allReady(last, PIS) ? last : undefined;
    },
    {
      every: 1000,
      context: () => JSON.stringify(last?.nodes.map((n) => [n.id, n.conditions.map((c) => `${c.type}=${c.status} ${c.reason ?? ''}`)])),
    },
  );
}

const inEtc = (cmd: string) => `cd /etc/pirack && ${cmd}`;

describe('a virtual master set up as the README says, on stock Raspberry Pi OS', () => {
  it('installs the prerequisites and the packed tarball, offline, with no build tools of ours at runtime', async () => {
    const m = master();
    await m.sh('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git dnsmasq gpiod build-essential', 600_000);
    const install = await m.run(`npm install -g --offline --omit=dev ${DIST_IN_MASTER}/${m.tarball}`, 600_000);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/EBADENGINE/);
    expect((await m.sh('pirack --version')).trim()).toMatch(/^\d+\.\d+\.\d+/);
    // The installed package runs from dist/: neither tsx nor esbuild came with it.
    expect(await m.sh('ls /usr/local/lib/node_modules/pirack/node_modules')).not.toMatch(/^(tsx|esbuild)$/m);
  });

  it('master install refuses a machine that is not a Pi and changes nothing; with --force it installs once', async () => {
    const m = master();
    await m.sh('mkdir -p /etc/pirack && cat > /etc/pirack/rack.yaml <<"EOF"\n' + m.rackYaml + 'EOF');
    const refused = await m.run(inEtc('pirack master install --no-start --listen 10.213.0.2:8080'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not a Raspberry Pi.*--force/);
    expect((await m.run('test -e /etc/systemd/system/pirack.service || test -e /var/lib/pirack')).code).not.toBe(0);

    const first = await m.sh(inEtc('pirack master install --no-start --force --listen 10.213.0.2:8080'));
    expect(first).toMatch(/Admin token/);
    expect(first).toMatch(/created the daemon's key pair/);
    expect((await m.sh('systemctl is-enabled pirack.service')).trim()).toBe('enabled');
    expect((await m.sh('systemctl is-active dnsmasq.service')).trim()).toBe('active');
    expect(await m.sh('stat -c %a /var/lib/pirack')).toMatch(/^700/);
    const again = await m.sh(inEtc('pirack master install --no-start --force --listen 10.213.0.2:8080'));
    expect(again).toMatch(/already installed/);
  });

  it('validate, the bootstrap password, plan and apply --once converge the blank Pis through sudo', async () => {
    const m = master();
    await m.sh(inEtc('pirack validate'));
    await m.sh(inEtc('echo raspberry > secrets/bootstrap-password && chmod 600 secrets/bootstrap-password'));
    const plan = await m.run(inEtc('pirack plan'), 300_000);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/bc/);
    expect(await labExec(1, 'command -v bc || echo none')).toMatchObject({ stdout: 'none\n' });
    const apply = await m.run(inEtc('pirack apply --once'), 900_000);
    expect(apply.code, `${apply.stdout}\n${apply.stderr}`).toBe(0);
    for (const pi of PIS) {
      expect((await labExec(pi, 'command -v bc')).stdout.trim()).toBe('/usr/bin/bc');
      expect((await labExec(pi, 'systemctl is-active pirack-slave.service')).stdout.trim()).toBe('active');
      expect((await labExec(pi, 'stat -c "%U %a" /home/pi/.ssh/authorized_keys')).stdout.trim()).toBe('pi 600');
    }
  });

  it('the daemon under systemd is Ready over the API from the host, and keeps the token out of the journal', async () => {
    const m = master();
    await m.sh('systemctl start pirack.service');
    await readyOverApi('every Pi Ready over the API of the virtual master', 180_000);
    const token = (await m.sh('cat /var/lib/pirack/admin-token')).trim();
    const journal = await m.sh('journalctl -u pirack.service -o cat --no-pager');
    expect(journal).toMatch(/pirack/);
    expect(journal).not.toContain(token);
  });

  it("a stack power-cycled by the master: the relay stand-in switches it, the master's dnsmasq gives the Pi its fixed address", async () => {
    const m = master();
    const before = m.relay.switches.length;
    const bootBefore = (await labExec(1, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
    const cycle = await m.run(inEtc('pirack power cycle 1 --yes --hard'), 300_000);
    expect(cycle.code, `${cycle.stdout}\n${cycle.stderr}`).toBe(0);
    await waitUntil('the relay to switch stack 1 off and on', 60_000, () => (m.relay.switches.length >= before + 2 ? true : undefined));
    expect(m.relay.switches.slice(before).map((s) => `${s.stack} ${s.power}`)).toEqual(['1 off', '1 on']);
    await m.relay.settled();
    await waitUntil('pi 1 booted again', 120_000, async () => {
      const boot = await labExec(1, 'cat /proc/sys/kernel/random/boot_id').catch(() => undefined);
      return boot && boot.code === 0 && boot.stdout.trim() !== bootBefore ? true : undefined;
    });
    await readyOverApi('pi 1 Ready again after the cycle', 180_000);
    const leases = await m.sh('cat /var/lib/misc/dnsmasq.leases');
    expect(leases).toContain(`${labMac(1)} 10.213.0.11`);
    // Pi 2's stack was not touched.
    expect(m.relay.switches.slice(before).every((s) => s.stack === 1)).toBe(true);
  });

  it('restarting the unit changes no relay and re-converges nothing that was in sync', async () => {
    const m = master();
    const switches = m.relay.switches.length;
    const restartedAt = Date.now();
    await m.sh('systemctl restart pirack.service');
    await waitUntil('the restarted daemon to answer', 60_000, async () => {
      const r = await api<StatusReport>('/api/v1/status').catch(() => undefined);
      return r ? true : undefined;
    });
    const after = await readyOverApi('every Pi Ready after the restart', 120_000);
    // Ready as the new daemon judged it, from its own pass over each Pi (not a status left by the old one).
    for (const pi of PIS) {
      const ready = after.nodes.find((n) => n.id === pi)?.conditions.find((c) => c.type === 'Ready');
      expect(Date.parse(ready!.lastTransitionTime), `pi ${pi}`).toBeGreaterThanOrEqual(restartedAt - 1000);
    }
    const { events } = await api<{ events: RackEvent[] }>('/api/v1/events');
    const actions = events.filter((e) => Date.parse(e.at) >= restartedAt && e.result !== 'info');
    const journal =
      actions.length > 0 ? await m.sh('journalctl -u pirack.service -o cat --no-pager | grep -i -E "stack|relay|gpio" | tail -40') : '';
    expect(actions, `${JSON.stringify(actions)}\n${journal}`).toEqual([]);
    expect(m.relay.switches.length).toBe(switches);
  });
});
