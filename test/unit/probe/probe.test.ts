import { describe, expect, it } from 'vitest';
import { nodeControllers } from '../../../controllers/index.ts';
import { buildProbeScript, parseProbe, splitSections } from '../../../src/probe/probe.ts';
import { cpuPercent, parseSystemFacts } from '../../../src/probe/system.ts';
import { nodeSpec } from '../../support/fixtures.ts';
import { localRunner } from '../../support/local-runner.ts';

describe('probe', () => {
  it("runs as one script on a real Debian system and parses into every controller's facts", async () => {
    const spec = nodeSpec({
      packages: [
        { name: 'bash', state: 'present' },
        { name: 'no-such-package-pirack', state: 'absent' },
      ],
      files: [],
      services: [{ name: 'no-such-unit-pirack.service', enabled: false, running: false, restartOnChangeOf: [] }],
    });
    const runner = localRunner();
    const result = await runner.exec({ node: 7, host: 'localhost', port: 22 }, buildProbeScript(spec, nodeControllers));
    const facts = parseProbe(result.stdout, spec, nodeControllers);
    expect(facts.packages.byName.bash?.status).toBe('ii');
    expect(facts.packages.byName['no-such-package-pirack']).toBeUndefined();
    expect(facts.services['no-such-unit-pirack.service']?.enabled).toBe('not-found');
    expect(facts.system.memTotalKb).toBeGreaterThan(0);
    expect(facts.system.cpuTotal).toBeGreaterThan(facts.system.cpuBusy);
    expect(runner.commands).toHaveLength(1);
  });

  it('rejects output that lacks a section, naming what is missing', () => {
    const output = '\n@@pirack:system\nhostname x\n@@pirack:authorizedKeys\n';
    expect(() => parseProbe(output, nodeSpec(), nodeControllers)).toThrow(/lacks section\(s\) packages, files, services, hostname, end/);
  });

  it('rejects a system section with garbage numbers', () => {
    expect(() => parseSystemFacts('hostname x\nuptime abc\n', 'pi 1')).toThrow(/uptime/);
  });

  it('splits sections on marker lines only', () => {
    expect(Object.fromEntries(splitSections('noise\n@@pirack:a\n1\n2\n@@pirack:b\n'))).toEqual({ a: '1\n2', b: '' });
  });

  it('computes CPU % between two probes and nothing for the first', () => {
    const a = { hostname: '', uptimeSeconds: 1, load1: 0, memTotalKb: 1, memAvailableKb: 1, cpuBusy: 100, cpuTotal: 1000, now: 0 };
    expect(cpuPercent(undefined, a)).toBeUndefined();
    expect(cpuPercent(a, { ...a, cpuBusy: 150, cpuTotal: 1200 })).toBe(25);
  });
});

describe('the system probe sees /var/run/reboot-required', () => {
  it('reports it with its packages, and nothing when absent', () => {
    const base = 'hostname pi-1\nuptime 12.5\nload 0.1\nmemtotal 1000\nmemavail 500\ncpu 10 100\nnow 1700000000\n';
    expect(parseSystemFacts(base, 'pi 1').rebootRequired).toBeUndefined();
    expect(parseSystemFacts(`${base}rebootrequired yes \n`, 'pi 1').rebootRequired).toEqual([]);
    expect(parseSystemFacts(`${base}rebootrequired yes linux-image libc6 \n`, 'pi 1').rebootRequired).toEqual(['linux-image', 'libc6']);
  });
});
