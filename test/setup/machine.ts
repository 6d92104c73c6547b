/**
 * Global setup of the e2e and ui projects: what a fresh machine of this kind lacks is installed
 * here (Debian packages for the virtual rack and Chromium), and the network safety net is put up,
 * so `npm test` needs no set-up step of its own.
 */
import { ensureDebianPackages } from '../../src/lab/deps.ts';
import { installSafetyRoutes } from '../../src/net/safety-routes.ts';

export function setup(): void {
  const say = (line: string) => process.stderr.write(`[setup] ${line}\n`);
  ensureDebianPackages(say);
  for (const line of installSafetyRoutes()) say(`safety net: ${line}`);
}
