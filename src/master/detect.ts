/**
 * What `pirack master install` checks before it changes anything: that this is a Raspberry Pi
 * (the device tree says so), and that the programs it relies on are installed, each with the
 * Debian package to install when it is not. Everything is read under the layout's root.
 */
import { access, constants, readFile } from 'node:fs/promises';
import type { MasterLayout } from './layout.ts';

const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The board's model string from the device tree, when there is one (`Raspberry Pi 4 Model B Rev 1.4`). */
export async function boardModel(layout: MasterLayout): Promise<string | undefined> {
  for (const file of ['/proc/device-tree/model', '/sys/firmware/devicetree/base/model']) {
    const text = await readFile(layout.at(file), 'utf8').catch(() => undefined);
    if (text !== undefined) return text.replace(/\0/g, '').trim();
  }
  return undefined;
}

export function isRaspberryPiModel(model: string | undefined): boolean {
  return model !== undefined && /^Raspberry Pi\b/.test(model);
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Whether a program is on the master's standard PATH (under the root). */
export async function hasProgram(layout: MasterLayout, name: string): Promise<boolean> {
  for (const dir of BIN_DIRS) if (await executable(layout.at(`${dir}/${name}`))) return true;
  return false;
}

export interface Prerequisite {
  readonly what: string;
  /** The Debian package(s) that provide it. */
  readonly install: string;
  readonly present: boolean;
}

export interface Prerequisites {
  /** Without these the daemon cannot run: install refuses. */
  readonly required: readonly Prerequisite[];
  /** What the master serves an isolated rack; install skips those that are missing, and says so. */
  readonly optional: {
    readonly aptCache: Prerequisite;
    readonly timeServer: Prerequisite;
  };
  /** How the relay can be driven: sysfs GPIO, gpiod's gpioset, or neither. */
  readonly gpio: { readonly sysfs: boolean; readonly gpiod: boolean };
}

export async function checkPrerequisites(layout: MasterLayout): Promise<Prerequisites> {
  const sysfs = await exists(layout.at('/sys/class/gpio'));
  const gpiod = await hasProgram(layout, 'gpioset');
  const unit = async (name: string): Promise<boolean> =>
    (await exists(layout.at(`/lib/systemd/system/${name}`))) || (await exists(layout.at(`/usr/lib/systemd/system/${name}`)));
  const required: Prerequisite[] = [
    { what: 'systemd (systemctl)', install: 'systemd', present: await hasProgram(layout, 'systemctl') },
    { what: 'git (the daemon can follow a git branch)', install: 'git', present: await hasProgram(layout, 'git') },
    {
      what: 'dnsmasq with its service (DHCP for the rack)',
      install: 'dnsmasq',
      present: (await hasProgram(layout, 'dnsmasq')) && (await unit('dnsmasq.service')),
    },
    { what: 'ssh-keygen (the daemon key pair)', install: 'openssh-client', present: await hasProgram(layout, 'ssh-keygen') },
    { what: 'GPIO for the relay (sysfs GPIO or gpiod)', install: 'gpiod', present: sysfs || gpiod },
  ];
  return {
    required,
    optional: {
      aptCache: {
        what: 'apt-cacher-ng (an apt cache for the rack)',
        install: 'apt-cacher-ng',
        present: await unit('apt-cacher-ng.service'),
      },
      timeServer: {
        what: 'chrony (a time server for the rack)',
        install: 'chrony',
        present: (await hasProgram(layout, 'chronyd')) && (await exists(layout.at('/etc/chrony'))),
      },
    },
    gpio: { sysfs, gpiod },
  };
}

/** `apt-get install …` for what is missing, or undefined when nothing is. */
export function missingInstallLine(prerequisites: readonly Prerequisite[]): string | undefined {
  const missing = prerequisites.filter((p) => !p.present);
  if (missing.length === 0) return undefined;
  return `missing: ${missing.map((p) => p.what).join('; ')}. Install with: apt-get install ${[...new Set(missing.map((p) => p.install))].join(' ')}`;
}
