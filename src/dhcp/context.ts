/**
 * The real DhcpContext (src/reconcile/controller.ts) over rack.yaml's dnsmasq paths and the
 * state dir, for the daemon and the CLI; tests use in-memory fakes instead.
 */
import type { Logger } from 'pino';
import type { RackSpec } from '../model/desired.ts';
import type { DhcpContext } from '../reconcile/controller.ts';
import { readBindings, writeBindings } from './bindings.ts';
import { readHostsFile, writeHostsFile } from './hosts.ts';
import { readLeases } from './leases.ts';

export interface DhcpContextOptions {
  readonly stateDir: string;
  readonly log?: Logger;
  /** Sends SIGHUP to dnsmasq; default process.kill. */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
}

export function createDhcpContext(rack: RackSpec, options: DhcpContextOptions): DhcpContext {
  const { hostsFile, leasesFile, pidFile } = rack.network.dhcp;
  return {
    writeHosts: (entries) =>
      writeHostsFile(hostsFile, entries, {
        pidFile,
        ...(options.kill ? { kill: options.kill } : {}),
        ...(options.log ? { log: options.log } : {}),
      }),
    readHosts: () => readHostsFile(hostsFile),
    readLeases: async () => {
      const parsed = await readLeases(leasesFile);
      // Garbage lines are worth a warning, never a failed pass.
      if (parsed.garbage.length > 0)
        options.log?.warn({ leasesFile, garbage: parsed.garbage.slice(0, 5) }, 'unreadable lines in the dnsmasq leases file');
      return parsed.leases;
    },
    readBindings: () => readBindings(options.stateDir),
    writeBindings: (bindings) => writeBindings(options.stateDir, bindings),
  };
}
