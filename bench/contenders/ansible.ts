/**
 * The Ansible contender: Debian's ansible-playbook running bench/ansible/site.yml with
 * bench/ansible/ansible.cfg, against an inventory generated from the loaded rack so that both
 * tools declare exactly the same state. A run succeeds when every Pi appears in the recap with
 * no failure and no unreachable.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import type { NodeSpec, RackSpec } from '../../src/model/desired.ts';
import { lastLine, type RunProcess } from '../lib/process.ts';
import type { PassOutcome } from './types.ts';

export const SITE_YML = fileURLToPath(new URL('../ansible/site.yml', import.meta.url));
export const ANSIBLE_CFG = fileURLToPath(new URL('../ansible/ansible.cfg', import.meta.url));

/** Inventory host name of a Pi. */
export function hostName(id: number): string {
  return `pi${id}`;
}

/** What a Pi must have, without its identity: equal for every Pi of a uniform rack. */
function stateKey(node: NodeSpec): string {
  return JSON.stringify([
    node.authorizedKeys,
    node.packages,
    node.files.map((f) => [f.path, f.sha256, f.owner, f.group, f.mode]),
    node.services,
  ]);
}

/**
 * One variable set for the whole group keeps the playbook as a person would write it; a rack
 * whose Pis differ would need host_vars, which the bench does not generate.
 */
export function assertUniform(nodes: readonly NodeSpec[], contender = 'Ansible'): NodeSpec {
  const first = nodes[0];
  if (!first) throw new Error('the rack has no Pis');
  const key = stateKey(first);
  const odd = nodes.find((n) => stateKey(n) !== key);
  if (odd) throw new Error(`pi ${odd.id} is declared differently from pi ${first.id}: the ${contender} contender needs every Pi alike`);
  return first;
}

export interface InventoryOptions {
  readonly rack: RackSpec;
  readonly nodes: readonly NodeSpec[];
  /** Where the managed files' contents are written for `copy: src`. */
  readonly filesDir: string;
  /** First contact by password (converge from blank): read from the rack's bootstrap file on the controller. */
  readonly withPassword: boolean;
}

export function inventoryObject(options: InventoryOptions): Record<string, unknown> {
  const { rack, nodes } = options;
  const model = assertUniform(nodes);
  const hosts = Object.fromEntries(nodes.map((n) => [hostName(n.id), { ansible_host: n.ip }]));
  const bootstrap = rack.ssh.bootstrap;
  if (options.withPassword && !bootstrap) throw new Error('converge from blank needs ssh.bootstrap.passwordFile in the rack');
  return {
    all: {
      children: {
        pis: {
          hosts,
          vars: {
            ansible_user: rack.ssh.user,
            ansible_port: rack.ssh.port,
            ansible_ssh_private_key_file: rack.ssh.keyFile,
            // A lookup, so the password is read at run time and never copied into the inventory.
            ...(options.withPassword && bootstrap ? { ansible_password: `{{ lookup('file', '${bootstrap.passwordFile}') }}` } : {}),
            pirack_keys_user: model.authorizedKeys.user,
            pirack_keys: [...model.authorizedKeys.keys],
            pirack_keys_exclusive: model.authorizedKeys.exclusive,
            pirack_packages_present: model.packages.filter((p) => p.state === 'present').map((p) => p.name),
            pirack_packages_absent: model.packages.filter((p) => p.state === 'absent').map((p) => p.name),
            pirack_apt_cache_valid_time: Math.round(rack.policies.aptListsMaxAgeMs / 1000),
            pirack_dpkg_lock_timeout: rack.policies.dpkgLockTimeoutSeconds,
            pirack_files: model.files.map((f, i) => ({
              src: join(options.filesDir, `${i}-${basename(f.path)}`),
              dest: f.path,
              owner: f.owner,
              group: f.group,
              mode: f.mode,
            })),
            pirack_services: model.services.map((s) => ({ name: s.name, enabled: s.enabled, running: s.running })),
          },
        },
      },
    },
  };
}

/** Writes inventory.yml and the managed files' contents under `dir`; returns the inventory path. */
export async function writeWorkspace(dir: string, rack: RackSpec, nodes: readonly NodeSpec[], withPassword: boolean): Promise<string> {
  const filesDir = join(dir, 'files');
  await mkdir(filesDir, { recursive: true, mode: 0o700 });
  const model = assertUniform(nodes);
  await Promise.all(model.files.map((f, i) => writeFile(join(filesDir, `${i}-${basename(f.path)}`), f.content, { mode: 0o600 })));
  const inventory = join(dir, withPassword ? 'inventory-bootstrap.yml' : 'inventory.yml');
  await writeFile(inventory, stringify(inventoryObject({ rack, nodes, filesDir, withPassword }), { lineWidth: 0 }), { mode: 0o600 });
  return inventory;
}

export interface RecapLine {
  readonly ok: number;
  readonly changed: number;
  readonly unreachable: number;
  readonly failed: number;
}

/** The PLAY RECAP lines of ansible-playbook's output, by host. */
export function parseRecap(stdout: string): Map<string, RecapLine> {
  const recap = new Map<string, RecapLine>();
  const start = stdout.lastIndexOf('PLAY RECAP');
  if (start < 0) return recap;
  const pattern = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm;
  for (const m of stdout.slice(start).matchAll(pattern)) {
    recap.set(m[1]!, { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) });
  }
  return recap;
}

/** The "msg" of each host's first `fatal: [host]: …` or `failed: [host] (item=…) => …` line, for failure messages people can act on. */
export function fatalMessages(output: string): Map<string, string> {
  const messages = new Map<string, string>();
  for (const m of output.matchAll(/^(?:fatal|failed): \[([^\]]+)\](?: \(item=.*?\))?:? (?:(?:FAILED|UNREACHABLE)! )?=> (.*)$/gm)) {
    if (messages.has(m[1]!)) continue;
    const msg = /"msg": "((?:[^"\\]|\\.)*)"/.exec(m[2]!)?.[1];
    messages.set(m[1]!, (msg ?? m[2]!).slice(0, 300));
  }
  return messages;
}

/** Failures of a run: hosts missing from the recap, unreachable or failed; the exit code when nothing else explains it. */
export function recapFailures(hosts: readonly string[], recap: ReadonlyMap<string, RecapLine>, exitCode: number, output: string): string[] {
  const failures: string[] = [];
  const fatal = fatalMessages(output);
  const why = (host: string): string => (fatal.has(host) ? `: ${fatal.get(host)}` : '');
  for (const host of hosts) {
    const line = recap.get(host);
    if (!line) failures.push(`${host}: missing from the recap`);
    else if (line.unreachable > 0) failures.push(`${host}: unreachable${why(host)}`);
    else if (line.failed > 0) failures.push(`${host}: ${line.failed} task(s) failed${why(host)}`);
  }
  if (failures.length === 0 && exitCode !== 0) failures.push(`ansible-playbook exited ${exitCode}: ${lastLine(output)}`);
  return failures;
}

export interface AnsibleDeps {
  readonly run: RunProcess;
  /** Temp dir for the inventory, files, control sockets and Ansible's local temp. */
  readonly workDir: string;
  readonly timeoutMs: number;
  /** Forks: at least the number of Pis, so Ansible reaches all at once as the others do. */
  readonly forks: number;
  readonly log?: Logger;
}

export function ansibleEnv(deps: AnsibleDeps, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    ANSIBLE_CONFIG: ANSIBLE_CFG,
    ANSIBLE_FORKS: String(Math.max(48, deps.forks)),
    // Short socket paths: the lab's temp dir plus %C must stay under 108 bytes.
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(deps.workDir, 'cp'),
    ANSIBLE_LOCAL_TEMP: join(deps.workDir, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
  };
}

/** One ansible-playbook run over `nodes`, timed from spawn to exit. */
export async function ansiblePass(
  deps: AnsibleDeps,
  inventory: string,
  nodes: readonly NodeSpec[],
  signal?: AbortSignal,
): Promise<PassOutcome & { readonly output: string }> {
  await mkdir(join(deps.workDir, 'cp'), { recursive: true, mode: 0o700 });
  await mkdir(join(deps.workDir, 'tmp'), { recursive: true, mode: 0o700 });
  const result = await deps.run('ansible-playbook', ['-i', inventory, SITE_YML], {
    timeoutMs: deps.timeoutMs,
    env: ansibleEnv(deps),
    ...(signal ? { signal } : {}),
  });
  const recap = parseRecap(result.stdout);
  const hosts = nodes.map((n) => hostName(n.id));
  const changed = [...recap.values()].reduce((n, line) => n + line.changed, 0);
  const failures = recapFailures(hosts, recap, result.code, `${result.stdout}\n${result.stderr}`);
  // The whole output is what explains a failure; it goes to the bench log, not the table.
  if (failures.length > 0)
    deps.log?.warn({ stdout: result.stdout.slice(-20_000), stderr: result.stderr.slice(-5000) }, 'ansible-playbook failed');
  return { durationMs: result.durationMs, failures, changed, output: result.stdout };
}
