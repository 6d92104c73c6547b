/**
 * The rack-level effects every caller shares (the daemon, `apply --once`, `power`, `enlist`): one
 * relay driver per relay configuration (re-created only when rack.yaml changes it), the DHCP
 * context over rack.yaml's dnsmasq paths and the state dir, one stagger for the process's life,
 * the TCP reachability check. The lab relay driver is the one part of src/lab used here.
 */
import type { Logger } from 'pino';
import { createDhcpContext } from '../dhcp/context.ts';
import { tcpReachable } from '../dhcp/reachable.ts';
import { createLabRelay } from '../lab/relay.ts';
import type { RackSpec } from '../model/desired.ts';
import type { RackIo } from '../reconcile/reconciler.ts';
import { createRelay } from '../relay/index.ts';
import { fileConfirmations } from '../relay/manual-confirm.ts';
import type { ManualRelay } from '../relay/manual.ts';
import { createStagger, type Stagger } from '../relay/stagger.ts';
import type { RelayDriver } from '../relay/types.ts';
import type { Clock } from '../util/clock.ts';

export interface RackIoOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** Tells a person what to switch (the manual driver): an event in the daemon, stderr in the CLI. */
  readonly notifyManual: (request: { stack: number; message: string }) => void;
}

export interface OwnedRackIo extends RackIo {
  /** Records a person's confirmation for a waiting `manual` step; false when the driver is not manual. */
  confirmManual(stack: number): boolean;
  close(): Promise<void>;
}

export function createRackIo(options: RackIoOptions): OwnedRackIo {
  let relay: RelayDriver | undefined;
  let relayKey = '';
  let stagger: { ms: number; stagger: Stagger } | undefined;
  const dhcpCache = new Map<string, ReturnType<typeof createDhcpContext>>();
  return {
    relay(rack: RackSpec) {
      const key = JSON.stringify([rack.relay, rack.stacks.map((s) => [s.id, s.relayPin])]);
      if (!relay || key !== relayKey) {
        void relay?.close();
        relay = createRelay(rack.relay, rack.stacks, {
          lab: () => createLabRelay(),
          manual: { notify: options.notifyManual, checkExternal: fileConfirmations(options.stateDir) },
          log: options.log.child({ component: 'relay' }),
        });
        relayKey = key;
      }
      return relay;
    },
    dhcp(rack: RackSpec) {
      const key = JSON.stringify(rack.network.dhcp);
      let dhcp = dhcpCache.get(key);
      if (!dhcp) {
        dhcp = createDhcpContext(rack, { stateDir: options.stateDir, log: options.log });
        dhcpCache.clear();
        dhcpCache.set(key, dhcp);
      }
      return dhcp;
    },
    stagger(rack: RackSpec) {
      if (stagger?.ms !== rack.relay.staggerMs)
        stagger = {
          ms: rack.relay.staggerMs,
          stagger: createStagger(
            rack.relay.staggerMs,
            () => options.clock.now(),
            (ms, s) => options.clock.sleep(ms, s),
          ),
        };
      return stagger.stagger;
    },
    isReachable(rack: RackSpec) {
      return tcpReachable(rack.ssh.port, Math.min(rack.ssh.connectTimeoutMs, 3000));
    },
    confirmManual(stack: number) {
      const manual = relay as (RelayDriver & Partial<Pick<ManualRelay, 'confirm'>>) | undefined;
      if (!manual?.confirm) return false;
      manual.confirm(stack);
      return true;
    },
    async close() {
      await relay?.close();
    },
  };
}
