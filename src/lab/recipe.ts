/**
 * What the lab's image and apt repository are made of. The cache key is a hash of this whole
 * recipe, so changing a package or a line of the customize script rebuilds both, and nothing else
 * does.
 */
import { createHash } from 'node:crypto';
import { MASTER_IP, REPO_PORT, BOOTSTRAP_PASSWORD, LAB_NO_SUDO_USER, LAB_SUDO_USER } from './paths.ts';
import { VCGENCMD_SCRIPT } from './sensors.ts';

/** A Raspberry Pi OS Lite stand-in: what a freshly flashed Pi has, and no bc, no Node.js. */
export const IMAGE_PACKAGES: readonly string[] = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  // Raspberry Pi OS's first user works through sudo (root has no password there).
  'sudo',
  'python3',
  'iproute2',
  'procps',
  'iputils-ping',
  'ca-certificates',
  'netbase',
];

/**
 * What the lab's rack.yaml installs (plus htop, for an override test), and what the virtual master
 * installs as a real master's prerequisites (src/lab/master.ts, docs/master.md): git, dnsmasq,
 * gpiod, and build-essential for the native modules of `npm install -g pirack` (epoll, fs-ext).
 * The repo holds their closure.
 */
export const REPO_PACKAGES: readonly string[] = ['bc', 'nodejs', 'htop', 'git', 'dnsmasq', 'gpiod', 'build-essential'];

export const SUITE = 'bookworm';

export interface Recipe {
  readonly suite: string;
  readonly mirror: string;
  readonly packages: readonly string[];
  readonly repoPackages: readonly string[];
  /** Shell run by mmdebstrap as a customize hook with $1 = the new root, $2 = the repo dir. */
  readonly customize: string;
}

/**
 * The customize hook. Runs after the packages are installed and before mmdebstrap's cleanup:
 * first the repository closure is downloaded against the image's own dpkg status (so it holds
 * exactly what a Pi of this image is missing), then the image is made to look like a freshly
 * flashed Pi.
 */
export function customizeScript(repoPackages: readonly string[]): string {
  return `set -eu
R="$1"
REPO="$2"
# mmdebstrap leaves the image's own .debs in the cache: drop them so the repo is only the closure.
rm -f "$R"/var/cache/apt/archives/*.deb
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install --download-only -y -q ${repoPackages.join(' ')}
mkdir -p "$REPO"
cp "$R"/var/cache/apt/archives/*.deb "$REPO"/
rm -f "$R"/var/cache/apt/archives/*.deb

# Stock Raspberry Pi OS: the Imager's user with a password and sudo (sudo asks for that
# password), and Debian's sshd defaults: password login, root only by key. The root password
# serves the root-login lab (\`lab up --root-login\` adds a drop-in allowing root by password to
# each Pi's card); the user without sudo is there for the error tests.
echo 'root:${BOOTSTRAP_PASSWORD}' | chroot "$R" chpasswd
chroot "$R" useradd --create-home --shell /bin/bash --groups sudo ${LAB_SUDO_USER}
chroot "$R" useradd --create-home --shell /bin/bash ${LAB_NO_SUDO_USER}
printf '%s\\n' '${LAB_SUDO_USER}:${BOOTSTRAP_PASSWORD}' '${LAB_NO_SUDO_USER}:${BOOTSTRAP_PASSWORD}' | chroot "$R" chpasswd
echo raspberrypi > "$R/etc/hostname"
printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\traspberrypi\\n' > "$R/etc/hosts"
mkdir -p "$R/etc/ssh/sshd_config.d"
rm -f "$R"/etc/ssh/ssh_host_* "$R/root/.ssh/authorized_keys"

# Each Pi makes its own host keys at first boot, as Raspberry Pi OS does; ssh-keygen -A only
# creates the keys that are missing, so later boots keep them.
cat > "$R/etc/systemd/system/regenerate_ssh_host_keys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys missing on first boot
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
UNIT

mkdir -p "$R/etc/systemd/network"
cat > "$R/etc/systemd/network/20-eth.network" <<'NET'
[Match]
Name=eth*

[Network]
DHCP=ipv4

[DHCPv4]
ClientIdentifier=mac
NET
chroot "$R" systemctl enable systemd-networkd.service regenerate_ssh_host_keys.service

# apt's daily timers (and the other periodic jobs) would take the dpkg lock at random moments and
# make the e2e tests flaky; the dpkg-lock fault holds that lock on purpose instead.
chroot "$R" systemctl mask apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \\
  man-db.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer

# Raspberry Pi OS has vcgencmd; the lab's stand-in answers measure_temp and get_throttled from
# the sensor files each Pi gets at boot (src/lab/sensors.ts).
cat > "$R/usr/bin/vcgencmd" <<'VCGENCMD'
${VCGENCMD_SCRIPT}VCGENCMD
chmod 0755 "$R/usr/bin/vcgencmd"

# An empty machine-id makes systemd treat each Pi's first boot as a first boot and give it its own id.
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"

# No internet in the lab: only the repository served on the bridge.
rm -f "$R/etc/apt/sources.list" "$R"/etc/apt/sources.list.d/*
echo 'deb [trusted=yes] http://${MASTER_IP}:${REPO_PORT}/ ./' > "$R/etc/apt/sources.list.d/pirack-lab.list"
rm -rf "$R"/var/lib/apt/lists/*
mkdir -p "$R/var/lib/apt/lists/partial"
`;
}

export function defaultRecipe(mirror: string): Recipe {
  return { suite: SUITE, mirror, packages: IMAGE_PACKAGES, repoPackages: REPO_PACKAGES, customize: customizeScript(REPO_PACKAGES) };
}

/** First 16 hex digits of the recipe's sha256: the cache key of image and repository. */
export function recipeHash(recipe: Recipe): string {
  const canonical = JSON.stringify([recipe.suite, recipe.mirror, [...recipe.packages], [...recipe.repoPackages], recipe.customize]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The host's Debian mirror from a deb822 sources file (the first `URIs:` that is not the security
 * archive), so the image is built from the same mirror the host already reaches.
 */
export function mirrorFromSources(text: string, fallback = 'http://deb.debian.org/debian'): string {
  for (const line of text.split('\n')) {
    const m = /^URIs:\s*(\S+)/.exec(line.trim());
    if (m && m[1] && !m[1].includes('security')) return m[1];
  }
  return fallback;
}
