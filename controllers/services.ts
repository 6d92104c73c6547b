/**
 * services: systemd units enabled and running as declared. systemd re-reads unit files only on
 * `daemon-reload`, so one runs whenever a unit file is about to change or systemd says a unit's
 * file changed under it. A running service restarts when a file it depends on (its unit file
 * included) is rewritten in the same pass; a stopped one simply starts with the new content.
 */
import { pirackError } from '../src/errors.ts';
import type { NodeAction } from '../src/model/actions.ts';
import type { ServiceSpec } from '../src/model/desired.ts';
import type { ServiceFacts } from '../src/model/observed.ts';
import type { Controller } from '../src/reconcile/controller.ts';
import { runRemoteStep } from '../src/remote/run.ts';
import { shellQuote } from '../src/ssh/quote.ts';
import { ownValue } from '../src/model/lookup.ts';

type ServicesAction = Extract<NodeAction, { kind: 'systemd-reload' | 'service-enable' | 'service-start' | 'service-restart' }>;

const UNIT_DIRS = ['/etc/systemd/system/', '/lib/systemd/system/', '/usr/lib/systemd/system/'];

export function isUnitFile(path: string): boolean {
  return UNIT_DIRS.some((dir) => path.startsWith(dir));
}

function dependencies(service: ServiceSpec): string[] {
  return [...service.restartOnChangeOf, ...UNIT_DIRS.map((dir) => dir + service.name)];
}

const ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']);

export const servicesController: Controller<'node', ServicesAction> = {
  name: 'services',
  scope: 'node',
  condition: { type: 'ServicesInSync', reason: 'ServicesDiffer' },
  kinds: ['systemd-reload', 'service-enable', 'service-start', 'service-restart'],
  observe: {
    facts: 'services',
    script(node) {
      if (node.services.length === 0) return ':';
      const units = node.services.map((s) => shellQuote(s.name)).join(' ');
      return [
        `for u in ${units}; do`,
        '  e=$(systemctl is-enabled -- "$u" 2>/dev/null); [ -n "$e" ] || e=not-found',
        '  a=$(systemctl is-active -- "$u" 2>/dev/null); [ -n "$a" ] || a=unknown',
        '  r=$(systemctl show -p NeedDaemonReload --value -- "$u" 2>/dev/null)',
        '  printf \'unit %s %s %s %s\\n\' "$u" "$e" "$a" "${r:-no}"',
        'done',
      ].join('\n');
    },
    parse(output, node): Record<string, ServiceFacts> {
      const services = new Map<string, ServiceFacts>();
      for (const line of output.split('\n')) {
        const match = /^unit (\S+) (\S+) (\S+) (\S+)$/.exec(line);
        if (match) {
          const [, unit, enabled, active, reload] = match;
          services.set(unit!, { enabled: enabled!, active: active!, needsReload: reload === 'yes' });
        } else if (line.trim() !== '') {
          throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `services probe: unreadable line ${JSON.stringify(line.slice(0, 80))}`, {
            where: `pi ${node.id}`,
          });
        }
      }
      return Object.fromEntries(services);
    },
  },

  plan(node, facts, planned) {
    const written = new Set(planned.filter((a) => a.kind === 'file-write').map((a) => (a as { path: string }).path));
    const actions: ServicesAction[] = [];
    const unitFileChanges = written.size > 0 && [...written].some(isUnitFile);
    const staleUnits = node.services.some((s) => ownValue(facts.services, s.name)?.needsReload);
    if (unitFileChanges || staleUnits) actions.push({ kind: 'systemd-reload', node: node.id });

    for (const service of node.services) {
      const seen = ownValue(facts.services, service.name) ?? { enabled: 'not-found', active: 'unknown', needsReload: false };
      const isEnabled = ENABLED_STATES.has(seen.enabled);
      if (service.enabled !== isEnabled && seen.enabled !== 'static') {
        actions.push({ kind: 'service-enable', node: node.id, unit: service.name, enable: service.enabled });
      }
      const isActive = seen.active === 'active' || seen.active === 'activating' || seen.active === 'reloading';
      // Most passes write no file, and then nothing can need a restart.
      const changed = written.size === 0 ? [] : dependencies(service).filter((path) => written.has(path));
      if (service.running && isActive && changed.length > 0) {
        actions.push({ kind: 'service-restart', node: node.id, unit: service.name, because: changed });
      } else if (service.running !== isActive) {
        actions.push({ kind: 'service-start', node: node.id, unit: service.name, start: service.running });
      }
    }
    return actions;
  },

  async apply(action, ctx) {
    switch (action.kind) {
      case 'systemd-reload':
        return runRemoteStep(ctx, 'systemctl daemon-reload', { what: 'systemctl daemon-reload' });
      case 'service-enable': {
        const verb = action.enable ? 'enable' : 'disable';
        return runRemoteStep(ctx, `systemctl ${verb} -- ${shellQuote(action.unit)}`, { what: `${verb} ${action.unit}` });
      }
      case 'service-start': {
        const verb = action.start ? 'start' : 'stop';
        return runRemoteStep(ctx, `systemctl ${verb} -- ${shellQuote(action.unit)}`, { what: `${verb} ${action.unit}` });
      }
      case 'service-restart':
        return runRemoteStep(ctx, `systemctl restart -- ${shellQuote(action.unit)}`, { what: `restart ${action.unit}` });
    }
  },
};
