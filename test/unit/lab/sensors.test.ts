import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkArgs } from '../../../src/lab/power.ts';
import { customizeScript, REPO_PACKAGES } from '../../../src/lab/recipe.ts';
import { defaultSensors, SENSORS_IN_PI, VCGENCMD_SCRIPT, writeSensors } from '../../../src/lab/sensors.ts';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('lab sensors', () => {
  it('gives each Pi its own thermal zone on its card, and keeps values a test set across boots', async () => {
    root = await mkdtemp(join(tmpdir(), 'pirack-sensors-'));
    await writeSensors(root, 3);
    const zone = join(root, SENSORS_IN_PI, 'thermal/thermal_zone0');
    expect(await readFile(join(zone, 'temp'), 'utf8')).toBe(`${defaultSensors(3).temperatureMilli}\n`);
    expect(await readFile(join(root, SENSORS_IN_PI, 'throttled'), 'utf8')).toBe('0x0\n');
    await writeSensors(root, 3, { temperatureMilli: 81_234, throttled: 0x50005 });
    // A boot writes defaults only where nothing is set.
    await writeSensors(root, 3);
    expect(await readFile(join(zone, 'temp'), 'utf8')).toBe('81234\n');
    expect(await readFile(join(root, SENSORS_IN_PI, 'throttled'), 'utf8')).toBe('0x50005\n');
    expect(defaultSensors(1).temperatureMilli).not.toBe(defaultSensors(2).temperatureMilli);
  });

  it('installs a vcgencmd stand-in in the image', () => {
    const s = customizeScript(REPO_PACKAGES);
    expect(s).toContain(`cat > "$R/usr/bin/vcgencmd" <<'VCGENCMD'\n${VCGENCMD_SCRIPT}VCGENCMD`);
    expect(VCGENCMD_SCRIPT).toContain('get_throttled)');
    expect(VCGENCMD_SCRIPT).toContain('measure_temp)');
  });

  it('silences a Pi by its link inside its namespace', () => {
    expect(linkArgs('pirack-pi4', false)).toEqual(['-n', 'pirack-pi4', 'link', 'set', 'eth0', 'down']);
    expect(linkArgs('pirack-pi4', true)).toEqual(['-n', 'pirack-pi4', 'link', 'set', 'eth0', 'up']);
  });
});
