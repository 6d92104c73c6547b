/** `pirack safety-net`: unreachable routes for private ranges, so nothing leaves for one by accident. */
import { Command } from 'commander';
import { installSafetyRoutes } from '../../net/safety-routes.ts';

export function safetyNetCommand(): Command {
  return new Command('safety-net')
    .description('add unreachable routes for 10/8, 172.16/12 and 192.168/16 (root; idempotent; a private DNS resolver stays reachable)')
    .action(() => {
      const added = installSafetyRoutes();
      process.stdout.write(added.length === 0 ? 'safety net already in place\n' : `${added.join('\n')}\n`);
    });
}
