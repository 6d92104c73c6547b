/**
 * Finds the GPIO chip whose lines are the Pi's header pins, for sysfs numbering. Kernels 6.6 and
 * later register the SoC's chip at base 512 (Pi 4 and earlier) or 571 (Pi 5 via rp1), not 0, so a
 * BCM line number must be offset by the chip's base before it is exported.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';

/** Labels of the SoC pin controllers, in the order they are preferred when none is configured. */
export const KNOWN_CHIP_LABELS: readonly string[] = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

/** One `gpiochipN` entry of `/sys/class/gpio`. */
export interface GpioChipInfo {
  /** Directory name, e.g. `gpiochip512`. */
  readonly name: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio?: number;
}

export interface ChipLookupOptions {
  /** Root of sysfs; tests point it at a temporary tree. Default `/sys`. */
  readonly sysfsRoot?: string;
  /** Exact label to look for; when absent the first of KNOWN_CHIP_LABELS present wins. */
  readonly chipLabel?: string;
}

/** Lists the chips sysfs shows; chips whose files cannot be read are skipped. */
export async function listGpioChips(sysfsRoot = '/sys'): Promise<GpioChipInfo[]> {
  const dir = join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith('gpiochip'));
  } catch (cause) {
    throw pirackError('PIRACK_ERR_RELAY', `cannot list ${dir}: the kernel has no sysfs GPIO (use relay.driver: gpiod)`, {
      cause,
      where: dir,
    });
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names.sort()) {
    try {
      const label = (await readFile(join(dir, name, 'label'), 'utf8')).trim();
      const base = Number.parseInt((await readFile(join(dir, name, 'base'), 'utf8')).trim(), 10);
      if (!Number.isInteger(base)) continue;
      const ngpioText = await readFile(join(dir, name, 'ngpio'), 'utf8').catch(() => undefined);
      const ngpio = ngpioText === undefined ? undefined : Number.parseInt(ngpioText.trim(), 10);
      chips.push({ name, label, base, ...(ngpio !== undefined && Number.isInteger(ngpio) ? { ngpio } : {}) });
    } catch {
      // A chip that vanished or is unreadable cannot be the one we drive; the error below lists what was found.
    }
  }
  return chips;
}

/** Picks the chip by label (configured or known). Throws PIRACK_ERR_RELAY naming the labels seen. */
export function pickChip(chips: readonly GpioChipInfo[], chipLabel?: string): GpioChipInfo {
  const wanted = chipLabel !== undefined ? [chipLabel] : KNOWN_CHIP_LABELS;
  for (const label of wanted) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  const seen = chips.map((c) => `${c.name} [${c.label}] base ${c.base}`).join(', ') || 'none';
  throw pirackError('PIRACK_ERR_RELAY', `no GPIO chip labelled ${wanted.join(' or ')} (found: ${seen}); set relay.chipLabel`, {
    where: 'relay',
  });
}

/** The chip to number lines from. */
export async function findGpioChip(options: ChipLookupOptions = {}): Promise<GpioChipInfo> {
  return pickChip(await listGpioChips(options.sysfsRoot), options.chipLabel);
}

/** sysfs GPIO number of a BCM line: the chip's base plus the line offset. */
export function sysfsNumber(chip: GpioChipInfo, bcmLine: number): number {
  if (chip.ngpio !== undefined && bcmLine >= chip.ngpio) {
    throw pirackError('PIRACK_ERR_RELAY', `BCM line ${bcmLine} is beyond ${chip.name}'s ${chip.ngpio} lines`, { where: 'relay' });
  }
  return chip.base + bcmLine;
}
