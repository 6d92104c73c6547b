/** Debian's Chromium through playwright-core, with the flags that keep it quiet and offline. */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.PIRACK_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
