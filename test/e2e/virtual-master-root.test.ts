/**
 * Issue 12's virtual master on the root-login lab (root by password, like the original's racks),
 * the README's Git route: rack.yaml committed in a repository on the master, `pirack master
 * install --git` starting the daemon at once (after refusing, changing nothing, while git, dnsmasq
 * and gpiod are missing), and the daemon alone converging the blank Pis from
 * the bootstrap password to Ready. Then a commit to the repository and the rack follows it.
 * The stock-OS lab's run, with the README's steps one by one, is test/e2e/virtual-master.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { labExec } from '../../src/lab/index.ts';
import { DIST_IN_MASTER } from '../../src/lab/master.ts';
import type { StatusReport } from '../../src/model/status.ts';
import { allReady } from '../support/daemon-api.ts';
import { useLab } from '../support/lab.ts';
import { useVirtualMaster } from '../support/virtual-master.ts';
import { waitUntil } from '../support/wait.ts';

const PIS = [1, 2];
const lab = useLab({ stacks: 1, perStack: 2, rootLogin: true });
const master = useVirtualMaster(lab, { stacks: 1, perStack: 2, rootLogin: true });
const REPO = '/srv/rack-config';

const status = (): Promise<StatusReport> => master().api<StatusReport>('/api/v1/status');

describe('a virtual master following a Git repository, on the root-login lab', () => {
  it('installs, starts the daemon from the committed rack.yaml, and the daemon converges the blank Pis to Ready', async () => {
    const m = master();
    // The toolchain and PiRack first, the master's own prerequisites not yet: install says what is missing.
    await m.sh('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q build-essential', 600_000);
    await m.sh(`npm install -g --offline --omit=dev ${DIST_IN_MASTER}/${m.tarball}`, 600_000);
    await m.sh('mkdir -p /etc/pirack && cat > /etc/pirack/rack.yaml <<"EOF"\n' + m.rackYaml + 'EOF');
    const missing = await m.run('pirack master install --force --no-start --listen 10.213.0.2:8080');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/PIRACK_ERR_MASTER_PREREQUISITE|missing:/);
    // gpioset is there already: the lab's stand-in for the GPIO (src/lab/master-relay.ts).
    expect(missing.stderr).toMatch(/apt-get install git dnsmasq\b/);
    expect(
      (await m.run('test -e /etc/systemd/system/pirack.service || test -e /var/lib/pirack || test -e /etc/pirack/secrets')).code,
    ).not.toBe(0);
    await m.sh('rm /etc/pirack/rack.yaml && DEBIAN_FRONTEND=noninteractive apt-get install -y -q git dnsmasq gpiod', 600_000);
    await m.sh(
      [
        `git init -q -b main ${REPO}`,
        `cd ${REPO}`,
        'cat > rack.yaml <<"EOF"\n' + m.rackYaml + 'EOF',
        'printf "secrets/\\n" > .gitignore',
        'git add rack.yaml .gitignore',
        'git -c user.name=owner -c user.email=owner@example.invalid commit -q -m "the rack"',
      ].join('\n'),
    );
    // The password first: the daemon starts with the install.
    await m.sh(
      `mkdir -p -m 700 ${REPO}/secrets && echo raspberry > ${REPO}/secrets/bootstrap-password && chmod 600 ${REPO}/secrets/bootstrap-password`,
    );
    const install = await m.sh(`pirack master install --force --git ${REPO} --listen 10.213.0.2:8080`);
    expect(install).toMatch(/started pirack.service/);
    expect(await m.sh('cat /etc/systemd/system/pirack.service')).toContain(`"--git" "${REPO}"`);
    let last: StatusReport | undefined;
    await waitUntil(
      'the daemon to bring every blank Pi to Ready',
      600_000,
      async () => {
        last = await status();
        return allReady(last, PIS) ? true : undefined;
      },
      {
        every: 2000,
        context: () => JSON.stringify(last?.nodes.map((n) => [n.id, n.conditions.map((c) => `${c.type}=${c.status} ${c.reason ?? ''}`)])),
      },
    );
    for (const pi of PIS) {
      expect((await labExec(pi, 'command -v bc')).stdout.trim()).toBe('/usr/bin/bc');
      expect((await labExec(pi, 'grep -c pirack-daemon /root/.ssh/authorized_keys')).stdout.trim()).toBe('1');
    }
  });

  it('a commit to the repository: the rack follows', async () => {
    const m = master();
    expect((await labExec(1, 'command -v htop || echo none')).stdout.trim()).toBe('none');
    await m.sh(
      [
        `cd ${REPO}`,
        // htop is in the lab's repository for exactly this kind of test.
        `sed -i 's/^  packages:$/  packages:\\n    - name: htop/' rack.yaml`,
        'grep -q "name: htop" rack.yaml',
        'git -c user.name=owner -c user.email=owner@example.invalid commit -q -am "htop on every Pi"',
      ].join('\n'),
    );
    await waitUntil('htop on both Pis', 300_000, async () => {
      for (const pi of PIS) if ((await labExec(pi, 'command -v htop')).code !== 0) return undefined;
      return true;
    });
    const report = await status();
    expect(allReady(report, PIS)).toBe(true);
  });
});
