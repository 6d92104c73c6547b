/**
 * Stand-ins for a Pi's temperature sensor and `vcgencmd`, so temperature and throttling are
 * tested end to end. The lab machine has no thermal zone, so each Pi gets its own: files on its
 * SD card (under SENSORS_IN_PI) that the lab bind-mounts over /sys/class/thermal inside the Pi at
 * every boot, and that /usr/bin/vcgencmd (installed in the image, see recipe.ts) reads. The slave
 * therefore reads exactly the paths it reads on a real Pi. Tests change the values from the host
 * with `setLabSensors`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';
import { hostExec } from './exec.ts';
import { labDir } from './paths.ts';
import { findPi, readState } from './state.ts';

/** Where the sensor files live inside a Pi (on its card, so they survive a power cut). */
export const SENSORS_IN_PI = '/var/lib/pirack-lab-sensors';

/** `vcgencmd` as Raspberry Pi OS has it, answering the two commands PiRack uses from the files. */
export const VCGENCMD_SCRIPT = `#!/bin/sh
# pirack lab stand-in for Raspberry Pi OS's vcgencmd: answers from ${SENSORS_IN_PI}.
S=${SENSORS_IN_PI}
case "$1" in
  measure_temp)
    t=$(cat /sys/class/thermal/thermal_zone0/temp 2>/dev/null) || { echo 'error=1 error_msg="no thermal zone"'; exit 1; }
    printf "temp=%d.%d'C\\n" $((t / 1000)) $((t % 1000 / 100)) ;;
  get_throttled)
    printf 'throttled=%s\\n' "$(cat "$S/throttled" 2>/dev/null || echo 0x0)" ;;
  *)
    echo 'error=2 error_msg="Command not registered"'; exit 2 ;;
esac
`;

export interface SensorValues {
  /** Millidegrees Celsius, as thermal_zone0/temp holds them. */
  readonly temperatureMilli: number;
  /** `get_throttled` bits. */
  readonly throttled: number;
}

/** A plausible idle Pi, different per Pi so a test can tell them apart: 45.0 °C + 0.5 °C per id. */
export function defaultSensors(id: number): SensorValues {
  return { temperatureMilli: 45_000 + 500 * id, throttled: 0 };
}

function hostPaths(root: string) {
  const base = join(root, SENSORS_IN_PI);
  return { base, zone: join(base, 'thermal', 'thermal_zone0'), throttled: join(base, 'throttled') };
}

/** Writes the sensor files into the Pi's root (from the host); keeps values already there unless given. */
export async function writeSensors(root: string, id: number, values?: Partial<SensorValues>): Promise<void> {
  const p = hostPaths(root);
  await mkdir(p.zone, { recursive: true });
  const exists = await readFile(join(p.zone, 'temp'), 'utf8').then(
    () => true,
    () => false,
  );
  const d = defaultSensors(id);
  if (values?.temperatureMilli !== undefined || !exists)
    await writeFile(join(p.zone, 'temp'), `${Math.round(values?.temperatureMilli ?? d.temperatureMilli)}\n`);
  if (values?.throttled !== undefined || !exists) await writeFile(p.throttled, `0x${(values?.throttled ?? d.throttled).toString(16)}\n`);
  await writeFile(join(p.zone, 'type'), 'cpu-thermal\n');
}

/** Inside the Pi: its thermal files bound over /sys/class/thermal (at every boot, also after a reboot). */
export const SENSORS_MOUNT_SCRIPT = `mountpoint -q /sys/class/thermal || mount --bind ${SENSORS_IN_PI}/thermal /sys/class/thermal`;

/** Binds the Pi's thermal files over its /sys/class/thermal (inside its mount namespace). */
export async function mountSensors(initPid: number): Promise<void> {
  await hostExec('nsenter', ['-t', String(initPid), '-m', '/bin/sh', '-c', SENSORS_MOUNT_SCRIPT], { timeoutMs: 10_000 });
}

/** Sets a running lab Pi's temperature and throttle flags (seen by the slave at its next reading). */
export async function setLabSensors(id: number, values: Partial<SensorValues>, dir = labDir()): Promise<void> {
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  await writeSensors(findPi(state, id).root, id, values);
}
