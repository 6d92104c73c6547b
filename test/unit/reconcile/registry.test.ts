/** controllers/index.ts lists every controller, once, and the conditions come from that list. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllers, registry } from '../../../controllers/index.ts';
import { ownedConditions } from '../../../src/reconcile/conditions.ts';

const dir = join(import.meta.dirname, '../../../controllers');

describe('the controller registry', () => {
  it('lists every file of controllers/ (but the index) exactly once', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(controllers.map((c) => c.name).sort()).toEqual(files);
  });

  it('every controller has the one shape: observe, a plan, an apply, kinds and the condition it owns', () => {
    for (const c of controllers) {
      expect(typeof c.plan, c.name).toBe('function');
      expect(typeof c.apply, c.name).toBe('function');
      expect(c.observe, c.name).toBeTypeOf('object');
      expect(c.kinds.length, c.name).toBeGreaterThan(0);
      expect(c.condition.type, c.name).toMatch(/^[A-Z]\w+$/);
    }
  });

  it('no action kind and no condition is claimed twice', () => {
    const kinds = controllers.flatMap((c) => c.kinds as readonly string[]);
    expect(new Set(kinds).size).toBe(kinds.length);
    const types = controllers.map((c) => c.condition.type);
    expect(new Set(types).size).toBe(types.length);
  });

  it("the Pi conditions are the node controllers' own, in registry order", () => {
    expect(ownedConditions(registry.node).map((c) => c.type)).toEqual([
      'KeysInSync',
      'PackagesInSync',
      'FilesInSync',
      'ServicesInSync',
      'HostnameInSync',
    ]);
    expect(registry.stack.map((c) => c.name)).toEqual(['power']);
    expect(registry.rack.map((c) => c.name)).toEqual(['enlist']);
  });
});
