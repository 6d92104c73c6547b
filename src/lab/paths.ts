/**
 * Names and places of everything the lab makes. One file so `lab down` can find leftovers by the
 * same names `lab up` used, even after a crash left no state file.
 */
import path from 'node:path';

/** Every netns and the bridge start with this; `lab down` deletes only names with it. */
export const LAB_PREFIX = 'pirack-';
/** Host-side veth names: `prv<id>` (IFNAMSIZ is 16, so the Pi id fits up to 12 digits). */
export const VETH_PREFIX = 'prv';
export const BRIDGE = 'pirack-br0';
export const LAB_SUBNET = '10.213.0.0/24';
export const MASTER_IP = '10.213.0.1';
export const REPO_PORT = 8079;
export const DYNAMIC_RANGE: readonly [string, string] = ['10.213.0.100', '10.213.0.199'];
/** Fixed addresses are 10.213.0.(10+id); the dynamic range starts at .100, so at most 89 Pis. */
export const MAX_PIS = 89;
/** The password of every lab account (root for the root-login lab, the sudo user, the user without sudo). */
export const BOOTSTRAP_PASSWORD = 'raspberry';
/** The user Raspberry Pi Imager would have created: in group sudo, sudo asks for its password. */
export const LAB_SUDO_USER = 'pi';
/** A second account without sudo rights, for the "user without sudo" tests. */
export const LAB_NO_SUDO_USER = 'guest';
/** sshd drop-in the root-login lab writes on each Pi's card (the original's racks: root by password). */
export const ROOT_LOGIN_DROPIN = 'etc/ssh/sshd_config.d/10-pirack-lab-root-login.conf';

/** Where the lab keeps its state and per-Pi disks; PIRACK_LAB_DIR overrides it (tests). */
export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIRACK_LAB_DIR && env.PIRACK_LAB_DIR.length > 0 ? path.resolve(env.PIRACK_LAB_DIR) : '/var/lib/pirack-lab';
}

/** The image and repository cache survives `lab down`; PIRACK_LAB_CACHE overrides it. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIRACK_LAB_CACHE && env.PIRACK_LAB_CACHE.length > 0 ? path.resolve(env.PIRACK_LAB_CACHE) : '/var/cache/pirack-lab';
}

/** Files of the lab as a whole, under the lab dir. */
export function labFiles(dir: string) {
  return {
    state: path.join(dir, 'state.json'),
    lock: path.join(dir, 'state.lock'),
    rackYaml: path.join(dir, 'rack.yaml'),
    masterKey: path.join(dir, 'master_key'),
    bootstrapPassword: path.join(dir, 'bootstrap-password'),
    dhcpHosts: path.join(dir, 'dhcp-hosts'),
    leases: path.join(dir, 'dnsmasq.leases'),
    dnsmasqPid: path.join(dir, 'dnsmasq.pid'),
    dnsmasqLog: path.join(dir, 'dnsmasq.log'),
    httpLog: path.join(dir, 'repo-http.log'),
    pisDir: path.join(dir, 'pis'),
    /**
     * The demo daemon's state dir. It pins the host keys of this lab's Pis, which every fresh
     * lab generates anew, so it lives and dies with the lab (`lab down` removes it).
     */
    daemonState: path.join(dir, 'daemon-state'),
  } as const;
}

/**
 * A container's card under `base`: the SD card image (sparse ext4, so a full disk is a real
 * ENOSPC), its mount, the overlay's upper and work dirs on it, the root the container boots, and
 * its console log. Shared by the Pis and the virtual master.
 */
export function cardFiles(base: string) {
  return {
    base,
    sdImage: path.join(base, 'sd.img'),
    sdMount: path.join(base, 'sd'),
    upper: path.join(base, 'sd', 'upper'),
    work: path.join(base, 'sd', 'work'),
    root: path.join(base, 'root'),
    console: path.join(base, 'console.log'),
  } as const;
}

export type CardFiles = ReturnType<typeof cardFiles>;

/** Names and places of one virtual Pi. */
export function piFiles(dir: string, id: number) {
  const base = path.join(dir, 'pis', String(id));
  return {
    ...cardFiles(base),
    savedHostKeys: path.join(base, 'saved-host-keys'),
    delayerLog: path.join(base, 'delayer.log'),
  } as const;
}

export function netnsName(id: number): string {
  return `${LAB_PREFIX}pi${id}`;
}

export function vethName(id: number): string {
  return `${VETH_PREFIX}${id}`;
}

export function labIp(id: number): string {
  if (!Number.isInteger(id) || id < 1 || id > MAX_PIS) throw new RangeError(`lab Pi id must be 1..${MAX_PIS}, got ${id}`);
  return `10.213.0.${10 + id}`;
}

/**
 * A stable MAC per Pi id under the Raspberry Pi Foundation's OUI b8:27:eb, so the lab's Pis look
 * like real ones to the enlistment code: b8:27:eb:00:HH:LL where HHLL is the id as 16 bits.
 * Ids up to 65535; the lab itself uses at most MAX_PIS.
 */
export function labMac(id: number): string {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new RangeError(`lab Pi id must be 1..65535, got ${id}`);
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `b8:27:eb:00:${hex(id >> 8)}:${hex(id & 0xff)}`;
}

/** Pi ids of stack `stack` (1-based) when every stack holds `perStack` Pis. */
export function stackPis(stack: number, perStack: number): number[] {
  return Array.from({ length: perStack }, (_, k) => (stack - 1) * perStack + k + 1);
}
