/**
 * Upgrading PiRack on the master rolls the new slave out: the slave is `source:
 * builtin:pirack-slave`, whose content (and so its sha256 in the desired state) is the bundle of
 * the installed PiRack. A Pi that still runs the old bundle gets the file rewritten and the slave
 * restarted, with no edit to rack.yaml.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesController } from '../../../controllers/files.ts';
import { servicesController } from '../../../controllers/services.ts';
import { parseRack } from '../../../src/config/load.ts';
import type { RackSpec } from '../../../src/model/desired.ts';
import { convergedFacts, NOW, policies, sha } from '../../support/fixtures.ts';
import { RACK_YAML } from '../../support/master-root.ts';

const SLAVE = '/usr/local/lib/pirack/pirack-slave.js';

function rackWithSlave(bundle: string): RackSpec {
  const result = parseRack(readFileSync(RACK_YAML, 'utf8'), {
    sourcePath: RACK_YAML,
    baseDir: dirname(RACK_YAML),
    resolveBuiltin: (name) => (name === 'pirack-slave' ? bundle : undefined),
    requireKey: false,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.rack;
}

describe('the slave version is part of the desired state', () => {
  it('a new bundle on the master means a new sha256, a rewrite and a restart on every Pi running the old one', () => {
    const old = rackWithSlave('// pirack-slave 0.1.0\n');
    const upgraded = rackWithSlave('// pirack-slave 0.2.0\n');
    const oldNode = old.nodes[0]!;
    const node = upgraded.nodes[0]!;
    expect(node.files.find((f) => f.path === SLAVE)?.sha256).toBe(sha('// pirack-slave 0.2.0\n'));
    // The revision names rack.yaml's text only, which did not change: the new bundle reaches the
    // Pis because the upgraded daemon re-reads rack.yaml when it starts (the unit restarts it).
    expect(upgraded.revision).toBe(old.revision);

    // A Pi converged to the old PiRack: every managed file as the old desired state says.
    const files = Object.fromEntries(
      oldNode.files.map((f) => [
        f.path,
        { exists: true, sha256: f.sha256, mode: f.mode.replace(/^0/, ''), owner: f.owner, group: f.group },
      ]),
    );
    const facts = convergedFacts({ files });
    expect(filesController.plan(oldNode, facts, [], NOW, policies)).toEqual([]);

    const writes = filesController.plan(node, facts, [], NOW, policies);
    expect(writes).toEqual([expect.objectContaining({ kind: 'file-write', path: SLAVE, reason: 'content' })]);
    const services = servicesController.plan(
      node,
      { ...facts, services: { 'pirack-slave.service': { enabled: 'enabled', active: 'active', needsReload: false } } },
      writes,
      NOW,
      policies,
    );
    expect(services).toEqual([{ kind: 'service-restart', node: node.id, unit: 'pirack-slave.service', because: [SLAVE] }]);
  });
});
