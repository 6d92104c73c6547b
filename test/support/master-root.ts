/** A master's file system in a temp dir, for `pirack master install --root`. */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RACK_YAML = fileURLToPath(new URL('../../rack.yaml', import.meta.url));

export interface FakeRootOptions {
  readonly model?: string | undefined;
  /** Programs to leave out (git, dnsmasq, systemctl, ssh-keygen, gpioset, chronyd). */
  readonly without?: readonly string[];
  readonly sysfsGpio?: boolean;
}

const PROGRAMS: Record<string, string> = {
  git: '/usr/bin/git',
  systemctl: '/usr/bin/systemctl',
  'ssh-keygen': '/usr/bin/ssh-keygen',
  gpioset: '/usr/bin/gpioset',
  dnsmasq: '/usr/sbin/dnsmasq',
  chronyd: '/usr/sbin/chronyd',
};

export function fakeRoot(options: FakeRootOptions = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'pirack-master-'));
  const put = (path: string, text: string, mode = 0o644): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), mode);
  };
  const model = 'model' in options ? options.model : 'Raspberry Pi 4 Model B Rev 1.4';
  if (model !== undefined) put('/proc/device-tree/model', `${model}\0`);
  for (const [name, path] of Object.entries(PROGRAMS)) if (!options.without?.includes(name)) put(path, '#!/bin/sh\n', 0o755);
  if (!options.without?.includes('dnsmasq')) put('/lib/systemd/system/dnsmasq.service', '[Service]\n');
  if (!options.without?.includes('chronyd')) mkdirSync(join(root, 'etc/chrony/conf.d'), { recursive: true });
  if (options.sysfsGpio) mkdirSync(join(root, 'sys/class/gpio'), { recursive: true });
  mkdirSync(join(root, 'etc/pirack'), { recursive: true });
  copyFileSync(RACK_YAML, join(root, 'etc/pirack/rack.yaml'));
  return root;
}

/** Every path under the root with its mode and content (links as their kind): "nothing changed" is this, equal. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const path = `${rel}/${name}`;
      const st = lstatSync(join(root, path));
      if (st.isDirectory()) {
        out[path] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(path);
      } else if (st.isSymbolicLink()) out[path] = 'link';
      else out[path] = `${(st.mode & 0o777).toString(8)} ${statSync(join(root, path)).mtimeMs} ${readFileSync(join(root, path), 'utf8')}`;
    }
  };
  walk('');
  return out;
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
