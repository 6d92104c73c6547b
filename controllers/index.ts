/**
 * The node controllers, written out by hand in dependency order: the key first (so the daemon can
 * stop using the bootstrap password), packages before the files that need them (node runs the
 * slave), files before the services that read them.
 */
import type { NodeController } from '../src/reconcile/controller.ts';
import { filesController } from './files.ts';
import { keysController } from './keys.ts';
import { packagesController } from './packages.ts';
import { servicesController } from './services.ts';

export const nodeControllers: readonly NodeController[] = [
  keysController,
  packagesController,
  filesController,
  servicesController,
] as unknown as readonly NodeController[];

export { filesController, keysController, packagesController, servicesController };
