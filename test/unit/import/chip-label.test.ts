/**
 * The importer leaves relay.chipLabel to detection: a hard-coded pinctrl-bcm2835 made a Pi 4
 * (pinctrl-bcm2711) or Pi 5 (pinctrl-rp1) master fail to find its GPIO chip.
 */
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runImport } from '../../../src/import/run.ts';
import { parseRack } from '../../../src/config/load.ts';
import { pickChip, type GpioChipInfo } from '../../../src/relay/chip.ts';

const EX = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));
const loadDeps = { sourcePath: 'rack.yaml', baseDir: '/x', resolveBuiltin: () => '', readPublicKey: () => undefined, requireKey: false };

/** What /sys/class/gpio shows on each master (kernel 6.6 numbering). */
const MASTERS: Record<string, GpioChipInfo[]> = {
  'Pi 3': [{ name: 'gpiochip512', label: 'pinctrl-bcm2835', base: 512, ngpio: 54 }],
  'Pi 4': [
    { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ],
  'Pi 5': [
    { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
    { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
  ],
};

describe('import: relay chip', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-import-chip-'));
    for (const f of ['structure_rack.ini', 'dict_rasps.csv']) copyFileSync(EX(f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes no chipLabel, so the SoC chip of a Pi 3, 4 or 5 master is detected', async () => {
    const r = await runImport({
      structure: join(dir, 'structure_rack.ini'),
      inventory: join(dir, 'dict_rasps.csv'),
      out: join(dir, 'rack.yaml'),
      trustSections: true,
    });
    expect(r.ok).toBe(true);
    expect(r.text).not.toMatch(/^\s*chipLabel:/m);
    expect(r.text).toContain('# chipLabel: detected (pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1)');
    const parsed = parseRack(r.text!, loadDeps);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.rack.relay.driver).toBe('onoff');
    expect(parsed.rack.relay.chipLabel).toBeUndefined();
    const picked = Object.fromEntries(
      Object.entries(MASTERS).map(([board, chips]) => [board, pickChip(chips, parsed.rack.relay.chipLabel).label]),
    );
    expect(picked).toEqual({ 'Pi 3': 'pinctrl-bcm2835', 'Pi 4': 'pinctrl-bcm2711', 'Pi 5': 'pinctrl-rp1' });
    // What the importer wrote before: a Pi 5 master could not find its chip.
    expect(() => pickChip(MASTERS['Pi 5']!, 'pinctrl-bcm2835')).toThrow(/no GPIO chip labelled pinctrl-bcm2835/);
  });
});
