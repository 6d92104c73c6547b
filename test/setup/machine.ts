/**
 * Global setup of the e2e and ui projects: what a fresh machine of this kind lacks is installed
 * here (every Debian package of src/deps/host-tools.txt: the virtual rack's, Chromium, the
 * benchmark contenders'), and the network safety net is put up, so `npm test` needs no set-up
 * step of its own.
 */
import { ensureHostPackages } from '../../src/deps/host-tools.ts';
import { installSafetyRoutes } from '../../src/net/safety-routes.ts';

export function setup(): void {
  const say = (line: string) => process.stderr.write(`[setup] ${line}\n`);
  ensureHostPackages(say);
  for (const line of installSafetyRoutes()) say(`safety net: ${line}`);
}
