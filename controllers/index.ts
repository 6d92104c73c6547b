/**
 * Every controller, written out by hand in dependency order (STYLE.md §1); nothing is discovered
 * by scanning folders. Power first (a Pi on a stack that is off has nothing to answer), then
 * enlistment (a Pi needs a MAC binding and a fixed address), then per Pi: the key first (so the
 * daemon can stop using the bootstrap password), packages before the files that need them (node
 * runs the slave), files before the services that read them. The loop, the status conditions and
 * the plan all come from this list.
 */
import type { AnyController, NodeController, RackController, StackController } from '../src/reconcile/controller.ts';
import { enlistController } from './enlist.ts';
import { filesController } from './files.ts';
import { hostnameController } from './hostname.ts';
import { keysController } from './keys.ts';
import { packagesController } from './packages.ts';
import { powerController } from './power.ts';
import { servicesController } from './services.ts';

export const controllers: readonly AnyController[] = [
  powerController as StackController,
  enlistController as RackController,
  keysController as unknown as NodeController,
  packagesController as unknown as NodeController,
  filesController as unknown as NodeController,
  servicesController as unknown as NodeController,
  hostnameController as unknown as NodeController,
];

/** The registry split by the key each controller runs under (`pi:<id>`, `stack:<id>`, `rack`). */
export interface ControllerSet {
  readonly node: readonly NodeController[];
  readonly stack: readonly StackController[];
  readonly rack: readonly RackController[];
}

export function byScope(list: readonly AnyController[]): ControllerSet {
  return {
    node: list.filter((c): c is NodeController => c.scope === 'node'),
    stack: list.filter((c): c is StackController => c.scope === 'stack'),
    rack: list.filter((c): c is RackController => c.scope === 'rack'),
  };
}

export const registry: ControllerSet = byScope(controllers);
export const nodeControllers: readonly NodeController[] = registry.node;

export { enlistController, filesController, hostnameController, keysController, packagesController, powerController, servicesController };
