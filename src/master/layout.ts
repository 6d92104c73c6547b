/**
 * Where `pirack master install` puts things, every path under one root: `/` on a master, a temp
 * dir in the unit tests (`--root DIR`), so the same code runs both without touching the host.
 */
import { join } from 'node:path';

/** The first line of every file PiRack writes outside its state dir: what uninstall may remove. */
export const MANAGED_MARK =
  '# Managed by `pirack master install`; `pirack master uninstall` removes it. Edit rack.yaml or the install options instead.';

export const UNIT_NAME = 'pirack.service';

export interface MasterLayout {
  readonly root: string;
  /** The path as the master sees it, prefixed with the root. */
  at(path: string): string;
  readonly unitFile: string;
  readonly dnsmasqDropIn: string;
  readonly chronyDropIn: string;
  readonly aptCacherDropIn: string;
}

export function masterLayout(root: string): MasterLayout {
  const at = (path: string): string => (root === '/' ? path : join(root, path));
  return {
    root,
    at,
    unitFile: '/etc/systemd/system/pirack.service',
    dnsmasqDropIn: '/etc/dnsmasq.d/pirack.conf',
    chronyDropIn: '/etc/chrony/conf.d/pirack.conf',
    aptCacherDropIn: '/etc/apt-cacher-ng/zz-pirack.conf',
  };
}
