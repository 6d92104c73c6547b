/**
 * `pirack demo`: the README's main command. Installs what the virtual rack needs, boots one, runs
 * the daemon against it with the dashboard, and tears everything down on Ctrl-C.
 */
import { Command } from 'commander';
import { serveDaemon } from '../../daemon/serve.ts';
import { ensureHostPackages } from '../../deps/host-tools.ts';
import { labDown, labUp } from '../../lab/index.ts';
import { labFiles } from '../../lab/paths.ts';
import { acquireLabLock } from '../../lab/owner-lock.ts';
import { createLogger } from '../../log.ts';
import { installSafetyRoutes } from '../../net/safety-routes.ts';
import { createFileSource } from '../../source/file.ts';
import { parseListen } from '../parse.ts';
import { progress } from '../output.ts';

interface DemoOptions {
  stacks: string;
  perStack: string;
  listen: string;
}

function count(value: string, option: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${option} expects a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'boot a virtual rack of real Debian Pis (systemd-nspawn, OpenSSH, apt, dnsmasq) and run the daemon with its dashboard against it; Ctrl-C tears it down (root)',
    )
    .option('--stacks <n>', 'stacks in the virtual rack', '2')
    .option('--per-stack <n>', 'Pis per stack', '3')
    .option('--listen <host:port>', 'dashboard and API address', '127.0.0.1:8080')
    .action(async (opts: DemoOptions) => {
      const stacks = count(opts.stacks, '--stacks', 12);
      const perStack = count(opts.perStack, '--per-stack', 12);
      const listen = parseListen(opts.listen);
      if (process.getuid?.() !== 0) throw new Error('the demo boots containers and creates network namespaces: run it as root');
      ensureHostPackages(progress);
      for (const line of installSafetyRoutes()) progress(`safety net: ${line}`);
      const lock = await acquireLabLock({ onWait: (pid) => progress(`waiting for the virtual rack in use by PID ${pid}…`) });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      try {
        await labDown();
        const up = await labUp({ stacks, perStack, progress });
        // Scoped to this lab: its Pis have fresh host keys, so pins from an earlier lab would
        // quarantine every one of them (`lab down` removes this dir with the lab).
        const stateDir = labFiles(up.dir).daemonState;
        const log = createLogger({ level: process.env.PIRACK_LOG_LEVEL ?? 'warn' });
        const running = await serveDaemon({
          source: createFileSource({ path: up.rackYaml, debounceMs: 100 }),
          stateDir,
          log,
          http: { ...listen, readAccess: 'public' },
        });
        try {
          progress(
            [
              '',
              `PiRack demo: ${up.pis} virtual Pis in ${stacks} stacks (booted in ${up.bootSeconds.toFixed(1)} s).`,
              `  dashboard   ${running.url}`,
              `  admin token ${running.token?.token ?? '(see the state dir)'}`,
              `  desired     ${up.rackYaml}  (edit it: the daemon follows)`,
              `  status      npx pirack status --state-dir ${stateDir}`,
              `  break a Pi  npx pirack lab exec 1 systemctl stop pirack-slave   (or: npx pirack lab fault 1 power-loss; undo with --undo)`,
              'The daemon is converging the fresh Pis now (key, bc, Node.js, pirack-slave). Ctrl-C stops and tears down.',
              '',
            ].join('\n'),
          );
          await new Promise<void>((done) => stop.signal.addEventListener('abort', () => done(), { once: true }));
          progress('stopping the daemon…');
        } finally {
          await running.stop();
        }
      } finally {
        progress('tearing the virtual rack down…');
        await labDown();
        lock.release();
      }
    });
}
