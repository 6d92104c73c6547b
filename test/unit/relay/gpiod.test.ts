import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chipFromGpiodetect, createGpiodRelay, parseGpiodVersion, parseGpiogetOutput } from '../../../src/relay/gpiod.ts';

// Fake libgpiod tools: each logs its argv, answers --version per FAKE_GPIOD_VERSION, and gpioset /
// gpioget share the line values through a state folder so read-back can be checked.
const TOOL = `#!/bin/sh
name=$(basename "$0")
echo "$name $*" >> "$FAKE_GPIOD_DIR/log"
if [ "$1" = "--version" ]; then
  if [ "$FAKE_GPIOD_VERSION" = 1 ]; then echo "$name (libgpiod) v1.6.3"; else echo "$name (libgpiod) v2.1"; fi
  exit 0
fi
case "$name" in
  gpiodetect)
    echo "gpiochip0 [pinctrl-bcm2711] (58 lines)"
    echo "gpiochip4 [pinctrl-rp1] (54 lines)"
    ;;
  gpioset)
    for a in "$@"; do case "$a" in *=*) echo "\${a#*=}" > "$FAKE_GPIOD_DIR/line-\${a%%=*}";; esac; done
    ;;
  gpioget)
    for a in "$@"; do line="$a"; done
    v=$(cat "$FAKE_GPIOD_DIR/line-$line" 2>/dev/null || echo 0)
    if [ "$v" = 1 ]; then echo "\\"$line\\"=active"; else echo "\\"$line\\"=inactive"; fi
    ;;
esac
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pirack-gpiod-'));
  for (const name of ['gpioset', 'gpioget', 'gpiodetect']) {
    writeFileSync(join(dir, name), TOOL);
    chmodSync(join(dir, name), 0o755);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function relay(version: 1 | 2, activeLow = true) {
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_GPIOD_DIR: dir, FAKE_GPIOD_VERSION: String(version) };
  return createGpiodRelay({
    pins: new Map([
      [1, 18],
      [2, 25],
    ]),
    activeLow,
    chipLabel: 'pinctrl-rp1',
    env,
  });
}
const log = () => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');

describe('gpiod relay', () => {
  it('parses versions, chips and gpioget output', () => {
    expect(parseGpiodVersion('gpioset (libgpiod) v1.6.3')).toBe(1);
    expect(parseGpiodVersion('gpioset (libgpiod) v2.1\nCopyright')).toBe(2);
    expect(parseGpiodVersion('nonsense')).toBeUndefined();
    expect(chipFromGpiodetect('gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)')).toBe('gpiochip0');
    expect(chipFromGpiodetect('gpiochip0 [x] (1 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)', 'pinctrl-rp1')).toBe('gpiochip4');
    expect(parseGpiogetOutput('"18"=active\n')).toBe('on');
    expect(parseGpiogetOutput('18=inactive')).toBe('off');
    expect(parseGpiogetOutput('1')).toBe('on');
    expect(parseGpiogetOutput('weird')).toBeUndefined();
  });

  it('v2: gpioset -l -c <chip> -t0, read back with gpioget --as-is', async () => {
    const r = relay(2);
    await r.set(1, 'on');
    expect(await r.read(1)).toBe('on');
    await r.set(1, 'off');
    expect(await r.read(1)).toBe('off');
    const lines = log();
    expect(lines).toContain('gpioset -l -c gpiochip4 -t0 18=1');
    expect(lines).toContain('gpioset -l -c gpiochip4 -t0 18=0');
    expect(lines).toContain('gpioget -l --as-is -c gpiochip4 18');
    expect(lines.filter((l) => l.startsWith('gpioget') && !l.includes('--as-is'))).toEqual([]);
  });

  it('v1: gpioset -l -m exit <chip> line=v, and gpioget is never run (it would make the line an input)', async () => {
    const r = relay(1);
    expect(await r.read(2)).toBe('unknown');
    await r.set(2, 'on');
    expect(await r.read(2)).toBe('on');
    const lines = log();
    expect(lines).toContain('gpioset -l -m exit gpiochip4 25=1');
    expect(lines.some((l) => l.startsWith('gpioget'))).toBe(false);
  });

  it('active-high boards get no -l', async () => {
    const r = relay(2, false);
    await r.set(1, 'on');
    expect(log()).toContain('gpioset -c gpiochip4 -t0 18=1');
  });

  it('a failing gpioset is a RELAY error with its stderr', async () => {
    writeFileSync(
      join(dir, 'gpioset'),
      '#!/bin/sh\n[ "$1" = --version ] && { echo "gpioset (libgpiod) v2.1"; exit 0; }\necho "gpioset: unable to request lines: Device or resource busy" >&2\nexit 1\n',
    );
    const r = relay(2);
    await expect(r.set(1, 'on')).rejects.toMatchObject({ code: 'PIRACK_ERR_RELAY', message: expect.stringContaining('resource busy') });
  });
});
