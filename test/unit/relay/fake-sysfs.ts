/**
 * A fake sysfs GPIO tree in a temporary folder, speaking the kernel's file protocol (export,
 * direction, value, active_low) and opening lines the way onoff's constructor does with
 * reconfigureDirection: false. Every write is journalled so tests can assert what start-up wrote.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpioBackend, GpioPin, PinDirection } from '../../../src/relay/sysfs-gpio.ts';

export interface FakeChip {
  readonly name: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio?: number;
}

export class FakeSysfs implements GpioBackend {
  readonly root: string;
  readonly journal: string[] = [];
  /** Physical level of each line (what the relay board sees). */
  readonly physical = new Map<number, 0 | 1>();

  constructor(chips: readonly FakeChip[]) {
    this.root = mkdtempSync(join(tmpdir(), 'pirack-sysfs-'));
    for (const chip of chips) {
      const dir = join(this.gpioDir(), chip.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'label'), `${chip.label}\n`);
      writeFileSync(join(dir, 'base'), `${chip.base}\n`);
      if (chip.ngpio !== undefined) writeFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
    }
    mkdirSync(this.gpioDir(), { recursive: true });
  }

  gpioDir(): string {
    return join(this.root, 'class', 'gpio');
  }

  lineDir(gpio: number): string {
    return join(this.gpioDir(), `gpio${gpio}`);
  }

  /** Sets a line up as a previous daemon run left it: exported output at a physical level. */
  preExport(gpio: number, direction: PinDirection, physical: 0 | 1, activeLow: boolean): void {
    mkdirSync(this.lineDir(gpio), { recursive: true });
    writeFileSync(join(this.lineDir(gpio), 'direction'), `${direction}\n`);
    writeFileSync(join(this.lineDir(gpio), 'active_low'), activeLow ? '1\n' : '0\n');
    this.physical.set(gpio, physical);
    this.syncValue(gpio);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  accessible(): boolean {
    return true;
  }

  exportedDirection(gpio: number): PinDirection | undefined {
    if (!existsSync(this.lineDir(gpio))) return undefined;
    return this.readFile(gpio, 'direction') === 'out' ? 'out' : 'in';
  }

  async open(gpio: number, direction: PinDirection, activeLow: boolean): Promise<GpioPin> {
    if (!existsSync(this.lineDir(gpio))) {
      this.journal.push(`export <- ${gpio}`);
      // The kernel exports a line as an input; the pulls decide its level.
      this.preExport(gpio, 'in', this.physical.get(gpio) ?? 0, false);
    }
    this.write(gpio, 'active_low', activeLow ? '1' : '0');
    if (this.readFile(gpio, 'direction') !== direction) this.setDirection(gpio, direction);
    return {
      direction: () => this.readFile(gpio, 'direction'),
      setDirection: (d) => this.setDirection(gpio, d),
      readSync: () => this.logical(gpio),
      writeSync: (v) => {
        if (this.readFile(gpio, 'direction') !== 'out') throw Object.assign(new Error('EPERM: write to an input'), { code: 'EPERM' });
        this.journal.push(`gpio${gpio}/value <- ${v}`);
        this.physical.set(gpio, (v ^ (this.activeLow(gpio) ? 1 : 0)) as 0 | 1);
        this.syncValue(gpio);
      },
    };
  }

  private setDirection(gpio: number, d: 'in' | 'out' | 'high' | 'low'): void {
    this.write(gpio, 'direction', d);
    writeFileSync(join(this.lineDir(gpio), 'direction'), d === 'in' ? 'in\n' : 'out\n');
    // Like the kernel: `high`/`low` are physical levels, `out` means low.
    if (d !== 'in') this.physical.set(gpio, d === 'high' ? 1 : 0);
    this.syncValue(gpio);
  }

  private activeLow(gpio: number): boolean {
    return this.readFile(gpio, 'active_low') === '1';
  }

  private logical(gpio: number): 0 | 1 {
    return ((this.physical.get(gpio) ?? 0) ^ (this.activeLow(gpio) ? 1 : 0)) as 0 | 1;
  }

  private syncValue(gpio: number): void {
    writeFileSync(join(this.lineDir(gpio), 'value'), `${this.logical(gpio)}\n`);
  }

  private write(gpio: number, file: string, text: string): void {
    this.journal.push(`gpio${gpio}/${file} <- ${text}`);
    writeFileSync(join(this.lineDir(gpio), file), `${text}\n`);
    if (file === 'active_low') this.syncValue(gpio);
  }

  private readFile(gpio: number, file: string): string {
    return readFileSync(join(this.lineDir(gpio), file), 'utf8').trim();
  }
}
