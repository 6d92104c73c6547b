/**
 * A virtual master for an e2e file (src/lab/master.ts): the packed tarball, the DHCP handover,
 * the relay stand-in's server and the master container, set up in beforeAll on a lab from
 * useLab, and taken down in afterAll (the lab's own afterAll removes the container with the lab).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { bootVirtualMaster, masterExec, masterFiles, stopLabDhcp, stopVirtualMaster, MASTER_VM_IP } from '../../src/lab/master.ts';
import { startMasterRelay, type MasterRelay } from '../../src/lab/master-relay.ts';
import { labDir } from '../../src/lab/paths.ts';
import { MASTER_RELAY_LINES, masterRackObject } from '../../src/lab/rack-yaml.ts';
import type { ExecResult } from '../../src/lab/exec.ts';
import type { LabFixture } from './lab.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface VirtualMasterFixture {
  /** The tarball's name inside the master (under /mnt/pirack-dist). */
  readonly tarball: string;
  readonly relay: MasterRelay;
  /** rack.yaml for the master, as text. */
  readonly rackYaml: string;
  /** Runs a shell command in the master as root; throws with its output unless it exits 0. */
  sh(cmd: string, timeoutMs?: number): Promise<string>;
  /** Runs a shell command in the master as root and returns how it ended. */
  run(cmd: string, timeoutMs?: number): Promise<ExecResult>;
  /** GET on the master daemon's API from the host, through the bridge, with its admin token. */
  api<T>(path: string): Promise<T>;
}

function packTarball(destination: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/pack.ts'), '--destination', destination],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`npm run package failed: ${stderr}`)) : resolve(stdout.trim().split('\n').at(-1)!)),
    );
  });
}

export function useVirtualMaster(
  lab: () => LabFixture,
  opts: { stacks: number; perStack: number; rootLogin: boolean },
): () => VirtualMasterFixture {
  let fixture: VirtualMasterFixture | undefined;
  let distDir: string | undefined;
  let relay: MasterRelay | undefined;
  beforeAll(async () => {
    lab();
    distDir = await mkdtemp(join(tmpdir(), 'pirack-master-dist-'));
    await packTarball(distDir);
    const tarball = (await readdir(distDir)).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`no tarball in ${distDir}`);
    const dir = labDir();
    const lines = new Map(MASTER_RELAY_LINES.slice(0, opts.stacks).map((line, k) => [line, k + 1]));
    relay = await startMasterRelay({ relayDir: masterFiles(dir).relayDir, lines });
    // The handover: the host's dnsmasq leaves the bridge before the master's can start.
    await stopLabDhcp(dir);
    const npmCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
    await bootVirtualMaster({ distDir, npmCache, progress: (line) => process.stderr.write(`[master] ${line}\n`) });
    const run = (cmd: string, timeoutMs?: number) => masterExec(cmd, timeoutMs ? { timeoutMs } : {});
    const sh = async (cmd: string, timeoutMs?: number) => {
      const r = await run(cmd, timeoutMs);
      if (r.code !== 0) throw new Error(`in the master: ${cmd}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const rackYaml = stringify(
      masterRackObject({
        dir,
        stacks: opts.stacks,
        perStack: opts.perStack,
        blankInventory: false,
        rootLogin: opts.rootLogin,
        masterIp: MASTER_VM_IP,
      }),
      {
        lineWidth: 0,
      },
    );
    // The token exists once `master install` ran, and stays the same across daemon restarts.
    let token: string | undefined;
    const api = async <T>(path: string): Promise<T> => {
      token ??= (await sh('cat /var/lib/pirack/admin-token')).trim();
      const response = await fetch(`http://${MASTER_VM_IP}:8080${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
      return (await response.json()) as T;
    };
    fixture = { tarball, relay, rackYaml, sh, run, api };
  }, 600_000);
  afterAll(async () => {
    await stopVirtualMaster().catch(() => undefined);
    await relay?.close();
    if (distDir) await rm(distDir, { recursive: true, force: true });
  });
  return () => {
    if (!fixture) throw new Error('the virtual master is not up (see beforeAll)');
    return fixture;
  };
}
