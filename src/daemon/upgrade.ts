/**
 * The OS upgrade of one Pi (`pirack upgrade`): apt-get update, then upgrade or full-upgrade, run
 * non-interactively with the dpkg lock timeout the packages controller uses, keeping changed
 * configuration files, and through rack.yaml's master.aptProxy when set (src/remote/apt.ts). The
 * output ends with apt's summary line and whether /var/run/reboot-required exists (Debian's flag
 * that a new kernel or library wants a reboot).
 */
import { APT_ENV, aptGet } from '../remote/apt.ts';

export const REBOOT_REQUIRED_FILE = '/var/run/reboot-required';
const MARK = 'pirack-reboot-required:';

export function upgradeCommand(full: boolean, dpkgLockTimeoutSeconds: number, aptProxy?: string): string {
  const apt = aptGet({ lockTimeoutSeconds: dpkgLockTimeoutSeconds, ...(aptProxy !== undefined ? { proxy: aptProxy } : {}) });
  return [
    APT_ENV,
    `${apt} update >/dev/null`,
    `${apt} ${full ? 'full-upgrade' : 'upgrade'}`,
    `if [ -e ${REBOOT_REQUIRED_FILE} ]; then echo "${MARK} yes"; else echo "${MARK} no"; fi`,
  ].join(' && ');
}

export interface UpgradeOutcome {
  /** apt's "N upgraded, M newly installed, …" line, or what stood in for it. */
  readonly summary: string;
  readonly upgraded?: number;
  readonly rebootRequired: boolean;
}

export function parseUpgradeOutput(stdout: string): UpgradeOutcome {
  const summary = /^(\d+) upgraded, .*$/m.exec(stdout);
  const reboot = new RegExp(`^${MARK} (yes|no)$`, 'm').exec(stdout)?.[1] === 'yes';
  return summary
    ? { summary: summary[0].trim(), upgraded: Number(summary[1]), rebootRequired: reboot }
    : { summary: 'apt-get printed no summary', rebootRequired: reboot };
}
