/**
 * Managed systemd units changing state, seen the way systemd publishes it: the slave subscribes
 * to the manager on the system bus (systemd only sends unit signals while a client is subscribed)
 * and matches PropertiesChanged on each managed unit's object path, plus UnitFilesChanged for
 * enable/disable. No polling: the slave sleeps until systemd says something changed.
 */
import { existsSync } from 'node:fs';

export const SYSTEM_BUS_SOCKET = '/var/run/dbus/system_bus_socket';

/** systemd's bus_label_escape: a unit name as the last element of its object path. */
export function unitObjectPath(unit: string): string {
  let out = '';
  for (let i = 0; i < unit.length; i += 1) {
    const c = unit[i]!;
    const alpha = /[A-Za-z]/.test(c);
    const digit = /[0-9]/.test(c);
    out += alpha || (digit && i > 0) ? c : `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return `/org/freedesktop/systemd1/unit/${out}`;
}

/** How unit changes can be seen on this machine: 'dbus', or why not. */
export function unitWatchSupport(socket = SYSTEM_BUS_SOCKET): string {
  if (process.env.DBUS_SYSTEM_BUS_ADDRESS) return 'dbus';
  return existsSync(socket) ? 'dbus' : `unavailable: no system bus at ${socket}`;
}

interface BusMessage {
  readonly type?: number;
  readonly path?: string;
  readonly interface?: string;
  readonly member?: string;
}

interface Bus {
  readonly connection: { on(event: string, fn: (arg: unknown) => void): void; end(): void };
  invoke(msg: Record<string, unknown>, cb: (err: unknown, value?: unknown) => void): void;
  addMatch(rule: string, cb: (err: unknown) => void): void;
}

const SIGNAL = 4;
const SYSTEMD = 'org.freedesktop.systemd1';

export interface UnitWatch {
  close(): void;
}

/**
 * Connects to the system bus and reports `onChange(unit)` when a managed unit's properties change
 * and `onChange('unit-files')` on enable/disable. `onProblem` gets one line when the bus cannot be
 * used; the caller reports it and the master's resync covers the units.
 */
export function watchUnits(units: readonly string[], onChange: (unit: string) => void, onProblem: (why: string) => void): UnitWatch {
  const byPath = new Map(units.map((u) => [unitObjectPath(u), u]));
  let bus: Bus | undefined;
  let closed = false;
  let failed = false;
  const fail = (why: string): void => {
    if (closed || failed) return;
    failed = true;
    onProblem(why);
  };
  const check = (what: string) => (err: unknown) => {
    if (err) fail(`${what}: ${describe(err)}`);
  };
  // Loaded only here, so the one-shot commands (health, cpu) do not pay for the D-Bus library.
  import('@homebridge/dbus-native').then(
    (mod) => {
      if (closed) return;
      try {
        const lib = ((mod as { default?: unknown }).default ?? mod) as { systemBus(): Bus };
        bus = lib.systemBus();
      } catch (err) {
        fail(`system bus: ${(err as Error).message}`);
        return;
      }
      const b = bus;
      b.connection.on('error', (err) => fail(`system bus: ${(err as Error).message ?? String(err)}`));
      b.connection.on('end', () => fail('system bus connection ended'));
      for (const path of byPath.keys()) {
        b.addMatch(
          `type='signal',sender='${SYSTEMD}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='${path}'`,
          check('AddMatch'),
        );
      }
      b.addMatch(
        `type='signal',sender='${SYSTEMD}',interface='org.freedesktop.systemd1.Manager',member='UnitFilesChanged'`,
        check('AddMatch'),
      );
      b.invoke(
        { destination: SYSTEMD, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'Subscribe' },
        check('systemd Subscribe'),
      );
      b.connection.on('message', (raw) => {
        const msg = raw as BusMessage;
        if (closed || msg.type !== SIGNAL) return;
        if (msg.member === 'PropertiesChanged' && msg.path) {
          const unit = byPath.get(msg.path);
          if (unit) onChange(unit);
        } else if (msg.member === 'UnitFilesChanged') {
          onChange('unit-files');
        }
      });
    },
    (err: Error) => fail(`D-Bus library: ${err.message}`),
  );
  return {
    close() {
      closed = true;
      try {
        bus?.connection.end();
      } catch {
        /* already gone */
      }
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.join(' ');
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
