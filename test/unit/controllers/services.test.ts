import { describe, expect, it } from 'vitest';
import { servicesController } from '../../../controllers/services.ts';
import type { NodeAction } from '../../../src/model/actions.ts';
import { convergedFacts, nodeSpec, NOW, policies, SLAVE_JS, SLAVE_UNIT } from '../../support/fixtures.ts';

const UNIT = 'pirack-slave.service';
const plan = (facts = convergedFacts(), planned: NodeAction[] = []) => servicesController.plan(nodeSpec(), facts, planned, NOW, policies);
const withUnit = (enabled: string, active: string, needsReload = false) =>
  convergedFacts({ services: { [UNIT]: { enabled, active, needsReload } } });
const write = (path: string): NodeAction => ({ kind: 'file-write', node: 7, path, sha256: 'x', reason: 'content' });

describe('services controller plan', () => {
  it('plans nothing for an enabled, running service with nothing changed', () => {
    expect(plan()).toEqual([]);
  });

  it('enables and starts a service that is not there yet, after reloading for its new unit file', () => {
    expect(plan(withUnit('not-found', 'inactive'), [write(SLAVE_UNIT.path)])).toEqual([
      { kind: 'systemd-reload', node: 7 },
      { kind: 'service-enable', node: 7, unit: UNIT, enable: true },
      { kind: 'service-start', node: 7, unit: UNIT, start: true },
    ]);
  });

  it('starts a stopped service and enables a disabled one', () => {
    expect(plan(withUnit('disabled', 'failed'))).toEqual([
      { kind: 'service-enable', node: 7, unit: UNIT, enable: true },
      { kind: 'service-start', node: 7, unit: UNIT, start: true },
    ]);
  });

  it('restarts a running service when a file it depends on is rewritten', () => {
    expect(plan(convergedFacts(), [write(SLAVE_JS.path)])).toEqual([
      { kind: 'service-restart', node: 7, unit: UNIT, because: [SLAVE_JS.path] },
    ]);
  });

  it('reloads systemd and restarts when its unit file changes', () => {
    expect(plan(convergedFacts(), [write(SLAVE_UNIT.path)])).toEqual([
      { kind: 'systemd-reload', node: 7 },
      { kind: 'service-restart', node: 7, unit: UNIT, because: [SLAVE_UNIT.path] },
    ]);
  });

  it('does not restart for a file it does not depend on', () => {
    expect(plan(convergedFacts(), [write('/etc/motd')])).toEqual([]);
  });

  it('reloads when systemd reports the unit file changed under it', () => {
    expect(plan(withUnit('enabled', 'active', true))).toEqual([{ kind: 'systemd-reload', node: 7 }]);
  });

  it('stops and disables a service declared not running and not enabled', () => {
    const spec = nodeSpec({ services: [{ name: UNIT, enabled: false, running: false, restartOnChangeOf: [] }] });
    expect(servicesController.plan(spec, convergedFacts(), [], NOW, policies)).toEqual([
      { kind: 'service-enable', node: 7, unit: UNIT, enable: false },
      { kind: 'service-start', node: 7, unit: UNIT, start: false },
    ]);
  });
});

describe('services controller probe parsing', () => {
  it('reads unit states', () => {
    expect(
      servicesController.observe.parse(`unit ${UNIT} enabled active no\nunit ssh.service disabled inactive yes\n`, nodeSpec()),
    ).toEqual({
      [UNIT]: { enabled: 'enabled', active: 'active', needsReload: false },
      'ssh.service': { enabled: 'disabled', active: 'inactive', needsReload: true },
    });
  });

  it('rejects garbage', () => {
    expect(() => servicesController.observe.parse('unit x\n', nodeSpec())).toThrow(/unreadable/);
  });
});
