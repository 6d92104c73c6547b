/**
 * `lab up`: image (cached), network, dnsmasq, the apt repository's HTTP server, then every Pi
 * booted in parallel, waiting (bounded) until each holds a lease and answers on port 22. Every
 * process is recorded in the state file as soon as it starts, so `lab down` can always clean up,
 * also after a failure half way (which is what the error's hint says to do).
 */
import { access, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pirackError, isPiRackError } from '../errors.ts';
import { startRepoServer } from './apt-repo.ts';
import { startDnsmasq, writeHostsFile } from './dnsmasq.ts';
import { hostExec, mustExec, type Exec } from './exec.ts';
import { ensureImage } from './image.ts';
import { currentMountsUnder } from './mounts.ts';
import { createPiNet, ensureBridge, ensureSafetyRoutes, listLabLinks, listLabNetns } from './network.ts';
import {
  BOOTSTRAP_PASSWORD,
  MASTER_IP,
  MAX_PIS,
  REPO_PORT,
  ROOT_LOGIN_DROPIN,
  labDir,
  labFiles,
  labIp,
  labMac,
  netnsName,
  piFiles,
  vethName,
} from './paths.ts';
import { bootPi, preparePiRoot } from './pi.ts';
import { isAlive, record } from './process.ts';
import { labRackYaml } from './rack-yaml.ts';
import { raiseSysctls } from './sysctl.ts';
import { readState, updateState, withPi, withStateLock, writeState, type LabPiState, type LabState } from './state.ts';
import { waitForPis } from './wait.ts';

export interface LabUpOptions {
  readonly stacks?: number;
  readonly perStack?: number;
  /** No fixed addresses in dnsmasq and no MACs in rack.yaml: Pis must be enlisted. */
  readonly blankInventory?: boolean;
  /** Stacks powered at start (default all). */
  readonly poweredStacks?: readonly number[];
  /**
   * Let root log in by password, like the original's racks (`lab up --root-login`). Default false:
   * the Pis look like stock Raspberry Pi OS, with the sudo user `pi` (password in the lab dir's
   * bootstrap-password file) and root only by key.
   */
  readonly rootLogin?: boolean;
  /**
   * Brought up by a person (`pirack lab up`), not by a test or the bench holding the lab lock:
   * recorded so that tests wait for it to be taken down instead of tearing it down.
   */
  readonly byHand?: boolean;
  readonly dir?: string;
  readonly cacheDir?: string;
  readonly exec?: Exec;
  /** Progress lines for people. */
  readonly progress?: (line: string) => void;
  /** Bound on waiting for the Pis (default 120 s + 2 s per Pi). */
  readonly bootTimeoutMs?: number;
}

export interface LabUpResult {
  readonly dir: string;
  readonly rackYaml: string;
  readonly pis: number;
  readonly imageSeconds: number;
  /** From the first boot to the last Pi answering on port 22. */
  readonly bootSeconds: number;
  readonly totalSeconds: number;
}

/** What `lab up` cannot do without; each is in src/deps/host-tools.txt (a unit test checks). */
export const REQUIRED_TOOLS = [
  'mmdebstrap',
  'systemd-nspawn',
  '/usr/sbin/dnsmasq',
  'dpkg-scanpackages',
  'nsenter',
  'ssh-keygen',
  'mkfs.ext4',
  'iptables',
  '/usr/bin/python3',
];

async function checkTools(exec: Exec): Promise<void> {
  const missing: string[] = [];
  for (const tool of REQUIRED_TOOLS) {
    const found = tool.startsWith('/')
      ? await access(tool).then(
          () => true,
          () => false,
        )
      : (await exec('sh', ['-c', 'command -v "$1"', 'sh', tool])).code === 0;
    if (!found) missing.push(tool);
  }
  if (missing.length > 0) {
    throw pirackError(
      'PIRACK_ERR_LAB',
      `missing tools: ${missing.join(', ')} (their Debian packages are listed in src/deps/host-tools.txt; npm run demo or the test setup installs them)`,
      { where: 'lab up' },
    );
  }
}

/** Throws if anything of a lab is still there: state with live processes, namespaces, links or mounts. */
async function refuseIfUp(dir: string, exec: Exec): Promise<void> {
  const state = await readState(dir).catch(() => undefined);
  const leftovers: string[] = [];
  if (state) leftovers.push('a state file');
  const netns = await listLabNetns(exec);
  if (netns.length > 0) leftovers.push(`${netns.length} network namespaces`);
  const links = await listLabLinks(exec);
  if (links.length > 0) leftovers.push(`links ${links.slice(0, 3).join(', ')}${links.length > 3 ? ', …' : ''}`);
  const mounts = await currentMountsUnder(dir);
  if (mounts.length > 0) leftovers.push(`${mounts.length} mounts under ${dir}`);
  if (leftovers.length > 0) {
    throw pirackError('PIRACK_ERR_LAB', `a lab is already up (${leftovers.join('; ')}); run \`pirack lab down\` first`, { where: dir });
  }
}

async function ensureMasterKey(exec: Exec, keyFile: string): Promise<void> {
  const present = await access(keyFile).then(
    () => true,
    () => false,
  );
  if (!present) await mustExec(exec, 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pirack-lab-master', '-f', keyFile]);
}

/** On the Pi's card (the overlay's upper layer), so it holds across power cycles of this lab. */
export async function setRootLogin(root: string, allowed: boolean): Promise<void> {
  const dropin = path.join(root, ROOT_LOGIN_DROPIN);
  if (allowed) await writeFile(dropin, 'PermitRootLogin yes\nPasswordAuthentication yes\n', { mode: 0o644 });
  else await rm(dropin, { force: true });
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function labUp(options: LabUpOptions = {}): Promise<LabUpResult> {
  const started = Date.now();
  const dir = options.dir ?? labDir();
  const exec = options.exec ?? hostExec;
  const say = options.progress ?? (() => {});
  const stacks = options.stacks ?? 2;
  const perStack = options.perStack ?? 2;
  const blank = options.blankInventory === true;
  const rootLogin = options.rootLogin === true;
  const total = stacks * perStack;
  if (!Number.isInteger(stacks) || !Number.isInteger(perStack) || stacks < 1 || perStack < 1 || total > MAX_PIS) {
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `--stacks and --per-stack must be positive integers with at most ${MAX_PIS} Pis in all (got ${stacks} × ${perStack})`,
    );
  }
  const powered = options.poweredStacks ?? Array.from({ length: stacks }, (_, k) => k + 1);
  const files = labFiles(dir);

  await checkTools(exec);
  await refuseIfUp(dir, exec);
  const image = await ensureImage({ exec, progress: say, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) });
  if (!image.built) say(`image ${image.hash}: cached`);

  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(files.bootstrapPassword, `${BOOTSTRAP_PASSWORD}\n`, { mode: 0o600 });
    await chmod(files.bootstrapPassword, 0o600);
    await ensureMasterKey(exec, files.masterKey);

    const pis: LabPiState[] = [];
    for (let s = 1; s <= stacks; s++) {
      for (let k = 1; k <= perStack; k++) {
        const id = (s - 1) * perStack + k;
        pis.push({
          id,
          stack: s,
          mac: labMac(id),
          fixedIp: labIp(id),
          netns: netnsName(id),
          veth: vethName(id),
          root: piFiles(dir, id).root,
          faults: {},
        });
      }
    }
    const initial: LabState = {
      version: 1,
      createdAt: new Date().toISOString(),
      stacks,
      perStack,
      blankInventory: blank,
      rootLogin,
      ...(options.byHand ? { byHand: true } : {}),
      createdBy: await record(process.pid),
      imageHash: image.hash,
      imageDir: image.imageDir,
      repoDir: image.repoDir,
      pis,
    };
    await withStateLock(dir, () => writeState(dir, initial));
    await writeFile(files.rackYaml, labRackYaml({ dir, stacks, perStack, blankInventory: blank, poweredStacks: powered, rootLogin }));

    const raised = await raiseSysctls();
    if (raised.length > 0) say(`kernel limits raised: ${raised.join(', ')}`);
    const added = await ensureSafetyRoutes(exec);
    if (added.length > 0) say(`safety routes added: ${added.join('; ')}`);
    await ensureBridge(exec);
    await writeHostsFile(files.dhcpHosts, blank ? [] : pis.map((p) => ({ mac: p.mac, ip: p.fixedIp })));
    const dnsmasq = await startDnsmasq(dir);
    await updateState(dir, (s) => ({ ...s, dnsmasq }));
    const http = await startRepoServer(image.repoDir, files.httpLog);
    await updateState(dir, (s) => ({ ...s, http }));
    say(
      `network: ${MASTER_IP}/24 on pirack-br0, dnsmasq pid ${dnsmasq.pid}, apt repository on http://${MASTER_IP}:${REPO_PORT}/ (pid ${http.pid})`,
    );

    const bootStarted = Date.now();
    const toBoot = pis.filter((p) => powered.includes(p.stack));
    // Namespaces, cards and mounts for every Pi (also powered-off ones, so power-on is quick).
    await pool(pis, 4, async (pi) => {
      await createPiNet(exec, pi.id);
      const root = await preparePiRoot(exec, dir, pi.id, image.imageDir);
      await setRootLogin(root, rootLogin);
    });
    await pool(toBoot, 8, async (pi) => {
      const pids = await bootPi(dir, pi);
      await updateState(dir, (s) => withPi(s, pi.id, (p) => ({ ...p, ...pids })));
    });
    say(`booting ${toBoot.length} of ${pis.length} Pis (${stacks} stacks × ${perStack})`);
    const timeout = options.bootTimeoutMs ?? 120_000 + 2000 * toBoot.length;
    const waited = await waitForPis(dir, toBoot, timeout, (k, n) =>
      say(`  Pis up ${k}/${n} (${((Date.now() - bootStarted) / 1000).toFixed(1)}s)`),
    );
    if (!(await isAlive((await readState(dir))?.dnsmasq))) throw new Error('dnsmasq exited; see its log in the lab dir');
    if (waited.missing.length > 0) {
      throw new Error(
        `Pis ${waited.missing.join(', ')} did not get a lease and open port 22 within ${Math.round(timeout / 1000)} s (see pis/<id>/console.log)`,
      );
    }
    const bootSeconds = (Date.now() - bootStarted) / 1000;
    const totalSeconds = (Date.now() - started) / 1000;
    say(
      `lab up: ${toBoot.length} Pis answering on port 22 after ${bootSeconds.toFixed(1)}s (total ${totalSeconds.toFixed(1)}s); desired state in ${files.rackYaml}`,
    );
    return { dir, rackYaml: files.rackYaml, pis: pis.length, imageSeconds: image.seconds, bootSeconds, totalSeconds };
  } catch (err) {
    if (isPiRackError(err)) throw err;
    throw pirackError('PIRACK_ERR_LAB', `lab up failed: ${(err as Error).message}`, { cause: err, where: dir });
  }
}
