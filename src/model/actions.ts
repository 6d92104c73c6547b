/**
 * Everything the reconciler can do, as one discriminated union. Planners return these values;
 * executors carry them out. `describeAction` must handle every kind (the compiler checks it), so a
 * new kind cannot be added without saying how it reads in a plan.
 */

export type NodeAction =
  | {
      readonly kind: 'keys-write';
      readonly node: number;
      readonly user: string;
      readonly keys: readonly string[];
      readonly added: number;
      readonly removed: number;
    }
  | { readonly kind: 'pkg-install'; readonly node: number; readonly pkgs: readonly string[]; readonly updateLists: boolean }
  | { readonly kind: 'pkg-remove'; readonly node: number; readonly pkgs: readonly string[] }
  | { readonly kind: 'pkg-repair'; readonly node: number; readonly audit: string }
  | {
      readonly kind: 'file-write';
      readonly node: number;
      readonly path: string;
      readonly sha256: string;
      readonly reason: 'missing' | 'content';
    }
  | {
      readonly kind: 'file-attrs';
      readonly node: number;
      readonly path: string;
      readonly owner: string;
      readonly group: string;
      readonly mode: string;
    }
  | { readonly kind: 'systemd-reload'; readonly node: number }
  | { readonly kind: 'service-enable'; readonly node: number; readonly unit: string; readonly enable: boolean }
  | { readonly kind: 'service-start'; readonly node: number; readonly unit: string; readonly start: boolean }
  | { readonly kind: 'service-restart'; readonly node: number; readonly unit: string; readonly because: readonly string[] }
  | { readonly kind: 'hostname-set'; readonly node: number; readonly hostname: string; readonly was: string };

export type StackAction =
  /** `hard`: cut without shutting the Pis down first (`--hard`). */
  | { readonly kind: 'stack-power'; readonly stack: number; readonly on: boolean; readonly reason: string; readonly hard?: boolean }
  | { readonly kind: 'stack-cycle'; readonly stack: number; readonly reason: string; readonly hard?: boolean };

export type RackAction =
  | { readonly kind: 'dhcp-hosts-write'; readonly entries: readonly { readonly mac: string; readonly ip: string; readonly node: number }[] }
  | {
      readonly kind: 'enlist-stack';
      readonly stack: number;
      readonly unbound: readonly number[];
      /** 1-based place of the stack in the current round, for "stack k of n". */
      readonly position: { readonly index: number; readonly count: number };
    };

export type Action = NodeAction | StackAction | RackAction;
export type ActionKind = Action['kind'];

type Describers = { [K in ActionKind]: (a: Extract<Action, { kind: K }>) => string };

const describers: Describers = {
  'keys-write': (a) => `write ${a.user}'s authorized_keys (+${a.added} −${a.removed} keys)`,
  'pkg-install': (a) => `install ${a.pkgs.join(' ')}${a.updateLists ? ' (after apt-get update)' : ''}`,
  'pkg-remove': (a) => `purge ${a.pkgs.join(' ')}`,
  'pkg-repair': () => 'finish an interrupted dpkg run (dpkg --configure -a)',
  'file-write': (a) => `write ${a.path} (${a.reason === 'missing' ? 'missing' : 'content differs'})`,
  'file-attrs': (a) => `set ${a.path} to ${a.owner}:${a.group} ${a.mode}`,
  'systemd-reload': () => 'systemctl daemon-reload',
  'service-enable': (a) => `${a.enable ? 'enable' : 'disable'} ${a.unit}`,
  'service-start': (a) => `${a.start ? 'start' : 'stop'} ${a.unit}`,
  'hostname-set': (a) => `set the hostname to ${a.hostname} (was ${a.was || 'unset'}) and its /etc/hosts line`,
  'service-restart': (a) => `restart ${a.unit} (changed: ${a.because.join(', ')})`,
  'stack-power': (a) => `power stack ${a.stack} ${a.on ? 'on' : 'off'} (${a.reason})`,
  'stack-cycle': (a) => `power-cycle stack ${a.stack} (${a.reason})`,
  'dhcp-hosts-write': (a) => `write ${a.entries.length} static DHCP host entries`,
  'enlist-stack': (a) => `enlist stack ${a.stack} (${a.unbound.length} Pis without a MAC)`,
};

/** One line a person reads in `pirack plan`. Never contains secrets or file contents. */
export function describeAction(action: Action): string {
  const describe = describers[action.kind] as (a: Action) => string;
  return describe(action);
}
