/**
 * Turns a checked document into the RackSpec the program runs on: durations in ms, defaults merged
 * into each Pi, file contents read and hashed, the daemon's public key added. Effects (reading
 * files and the key) come in through options so this stays testable.
 *
 * Override rule: a Pi's `overrides.packages`, `.files`, `.services` or `.authorizedKeys` replaces
 * the default of that key entirely (no merging of lists); keys it does not name keep the default.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type {
  ActionSpec,
  AlertEvent,
  AuthorizedKeysSpec,
  FileSpec,
  NodeSpec,
  PackageSpec,
  RackSpec,
  ServiceSpec,
  SshSpec,
  StackSpec,
} from '../model/desired.ts';
import type { RawAuthorizedKeys, RawFile, RawPackage, RawRack, RawService } from './raw.ts';
import type { UnplacedProblem } from './problem.ts';
import { humanPath } from './problem.ts';
import { DEFAULTS } from './defaults.ts';
import { durationMs } from './duration.ts';
import { sha256Hex } from './revision.ts';
import { keyIdentity, normalizeMode } from '../model/identity.ts';
import { ReadRefusedError } from './read-limited.ts';

const REFUSED_HINT: Readonly<Record<ReadRefusedError['code'], string>> = {
  EOUTSIDE:
    "Keep the file next to rack.yaml (file mode) or in the repository (git mode); to allow another folder, start the daemon with --allow-source <dir>. Secrets such as the master's key must never be a source.",
  ENOTREG: 'Point source: at a regular file; pipes, devices and directories are never read.',
  EFBIG: 'Managed files are small configuration files; raise PIRACK_MAX_RACK_BYTES on the master if this one really must be larger.',
  ESYMLINK: 'Commit the file itself rather than a symbolic link to it.',
};

/** The effects resolution needs; all synchronous so parsing stays a plain function. */
export interface ResolveOptions {
  /** Folder relative `source:` paths, `ssh.keyFile` and the bootstrap password file are read from. */
  readonly baseDir: string;
  readonly sourcePath: string;
  readonly revision: string;
  /** Content of `source: builtin:<name>`; undefined (or a throw) when the builtin is unknown. */
  readonly resolveBuiltin?: (name: string) => string | undefined;
  /** Reads a `source:` file (absolute path); throws when it cannot. */
  readonly readFile: (absPath: string) => string;
  /** The daemon's public key file; undefined when it does not exist. */
  readonly readPublicKey: (absPath: string) => string | undefined;
  /** When false, a missing daemon key is a warning (for `pirack validate` on a laptop). */
  readonly requireKey: boolean;
}

export interface ResolveResult {
  readonly rack?: RackSpec;
  readonly problems: UnplacedProblem[];
  readonly warnings: UnplacedProblem[];
}

type Seg = (string | number)[];

const KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}( .*)?$/;

export function resolveRack(raw: RawRack, options: ResolveOptions): ResolveResult {
  const problems: UnplacedProblem[] = [];
  const warnings: UnplacedProblem[] = [];
  const abs = (p: string) => (isAbsolute(p) ? p : resolvePath(options.baseDir, p));

  const sshRaw = raw.ssh ?? {};
  const loginUser = sshRaw.user ?? DEFAULTS.ssh.user;
  // The Imager's user logs in first with its password and then with the key: one user, by default.
  const bootstrapUser = sshRaw.bootstrap?.user ?? loginUser;
  const sudoSpec = (): NonNullable<SshSpec['sudo']> => {
    if (sshRaw.sudo?.passwordFile !== undefined) return { passwordFile: abs(sshRaw.sudo.passwordFile), fromBootstrap: false };
    // Stock Raspberry Pi OS: the password the Imager set is the login and the sudo password alike.
    if (sshRaw.bootstrap && bootstrapUser === loginUser) return { passwordFile: abs(sshRaw.bootstrap.passwordFile), fromBootstrap: true };
    return { fromBootstrap: false };
  };
  const keyFile = abs(sshRaw.keyFile ?? DEFAULTS.ssh.keyFile);
  if (sshRaw.sudo !== undefined && loginUser === 'root') {
    warnings.push({
      segments: ['ssh', 'sudo'],
      message: 'ssh.sudo is set but ssh.user is root: commands run as root without sudo, and the setting is ignored',
      hint: 'Remove ssh.sudo, or set ssh.user to the sudo user (stock Raspberry Pi OS has no root login).',
    });
  }
  const daemonKey = readDaemonKey(
    keyFile,
    sshRaw.keyFile !== undefined ? ['ssh', 'keyFile'] : raw.ssh ? ['ssh'] : [],
    options,
    problems,
    warnings,
  );

  const fileCache = new Map<RawFile, FileSpec | undefined>();
  const resolveFile = (f: RawFile, at: Seg): FileSpec | undefined => {
    if (fileCache.has(f)) return fileCache.get(f);
    const content = fileContent(f, at, options, abs, problems);
    const spec: FileSpec | undefined =
      content === undefined
        ? undefined
        : {
            path: f.path,
            content,
            sha256: sha256Hex(content),
            owner: f.owner ?? DEFAULTS.file.owner,
            group: f.group ?? DEFAULTS.file.group,
            mode: normalizeMode(f.mode ?? DEFAULTS.file.mode),
          };
    fileCache.set(f, spec);
    return spec;
  };
  const files = (list: RawFile[] | undefined, at: Seg): FileSpec[] =>
    (list ?? []).flatMap((f, i) => {
      const spec = resolveFile(f, [...at, i]);
      return spec ? [spec] : [];
    });

  const packages = (list: RawPackage[] | undefined): PackageSpec[] =>
    (list ?? []).map((p) => ({ name: p.name, state: p.state ?? 'present' }));
  const services = (list: RawService[] | undefined): ServiceSpec[] =>
    (list ?? []).map((s) => ({
      name: s.name,
      enabled: s.enabled ?? DEFAULTS.service.enabled,
      running: s.running ?? DEFAULTS.service.running,
      restartOnChangeOf: s.restartOnChangeOf ?? [],
    }));
  const authorizedKeys = (k: RawAuthorizedKeys | undefined): AuthorizedKeysSpec => {
    const declared = k?.keys ?? [];
    const own = daemonKey === undefined ? [] : [daemonKey];
    const ownId = daemonKey === undefined ? undefined : keyIdentity(daemonKey);
    return {
      user: k?.user ?? sshRaw.user ?? DEFAULTS.ssh.user,
      keys: [...own, ...declared.filter((line) => ownId === undefined || keyIdentity(line) !== ownId)],
      exclusive: k?.exclusive ?? false,
    };
  };

  // Defaults are resolved once and shared by every Pi that does not override them.
  const d = raw.defaults ?? {};
  const defaultLists = {
    authorizedKeys: authorizedKeys(d.authorizedKeys),
    packages: packages(d.packages),
    files: files(d.files, ['defaults', 'files']),
    services: services(d.services),
  };

  // The schema and src/config/master-rules.ts checked its shape; apt takes it without the slash.
  const aptProxy = raw.master?.aptProxy?.replace(/\/$/, '');

  const stacks: StackSpec[] = raw.stacks.map((s, si) => {
    const nodes: NodeSpec[] = s.pis.map((pi, pj) => {
      const o = pi.overrides ?? {};
      const at: Seg = ['stacks', si, 'pis', pj, 'overrides'];
      return {
        id: pi.id,
        stack: s.id,
        ip: pi.ip,
        ...(pi.mac !== undefined ? { mac: pi.mac.toLowerCase() } : {}),
        ...(pi.hostname !== undefined ? { hostname: pi.hostname } : {}),
        ...(s.labels !== undefined || pi.labels !== undefined ? { labels: { ...s.labels, ...pi.labels } } : {}),
        authorizedKeys: o.authorizedKeys !== undefined ? authorizedKeys(o.authorizedKeys) : defaultLists.authorizedKeys,
        packages: o.packages !== undefined ? packages(o.packages) : defaultLists.packages,
        files: o.files !== undefined ? files(o.files, [...at, 'files']) : defaultLists.files,
        services: o.services !== undefined ? services(o.services) : defaultLists.services,
        ...(aptProxy !== undefined ? { aptProxy } : {}),
      };
    });
    return {
      id: s.id,
      x: s.x,
      y: s.y,
      ...(s.relayPin !== undefined ? { relayPin: s.relayPin } : {}),
      power: s.power ?? DEFAULTS.power,
      ...(s.labels !== undefined ? { labels: { ...s.labels } } : {}),
      nodes,
    };
  });

  if (problems.length > 0) return { problems, warnings };

  const net = raw.network;
  const policies = raw.policies ?? {};
  const pc = { ...DEFAULTS.policies.powerCycle, ...policies.powerCycle };
  const backoff = { ...DEFAULTS.policies.backoff, ...policies.backoff };
  const actions: ActionSpec[] = Object.entries(raw.actions ?? {}).map(([name, a]) => ({
    name,
    command: a.command,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.disruptive === true ? { disruptive: true } : {}),
  }));

  const rack: RackSpec = {
    name: raw.name,
    grid: { rows: raw.grid.rows, cols: raw.grid.cols },
    network: {
      subnet: net.subnet,
      master: net.master,
      gateway: net.gateway,
      dhcp: {
        dynamicRange: [net.dhcp.dynamicRange[0], net.dhcp.dynamicRange[1]],
        hostsFile: net.dhcp.hostsFile ?? DEFAULTS.dhcp.hostsFile,
        leasesFile: net.dhcp.leasesFile ?? DEFAULTS.dhcp.leasesFile,
        pidFile: net.dhcp.pidFile ?? DEFAULTS.dhcp.pidFile,
      },
    },
    ...(aptProxy !== undefined ? { master: { aptProxy } } : {}),
    ssh: {
      user: loginUser,
      port: sshRaw.port ?? DEFAULTS.ssh.port,
      keyFile,
      connectTimeoutMs: durationMs(sshRaw.connectTimeout ?? DEFAULTS.ssh.connectTimeout),
      execTimeoutMs: durationMs(sshRaw.execTimeout ?? DEFAULTS.ssh.execTimeout),
      keepaliveIntervalMs: durationMs(sshRaw.keepaliveInterval ?? DEFAULTS.ssh.keepaliveInterval),
      concurrency: sshRaw.concurrency ?? DEFAULTS.ssh.concurrency,
      maxSessionsPerConnection: sshRaw.maxSessionsPerConnection ?? DEFAULTS.ssh.maxSessionsPerConnection,
      // The password file stays a path: secrets never enter the model.
      ...(sshRaw.bootstrap ? { bootstrap: { user: bootstrapUser, passwordFile: abs(sshRaw.bootstrap.passwordFile) } } : {}),
      ...(loginUser === 'root' ? {} : { sudo: sudoSpec() }),
    },
    relay: {
      driver: raw.relay.driver,
      activeLow: raw.relay.activeLow ?? DEFAULTS.relay.activeLow,
      ...(raw.relay.chipLabel !== undefined ? { chipLabel: raw.relay.chipLabel } : {}),
      staggerMs: durationMs(raw.relay.stagger ?? DEFAULTS.relay.stagger),
    },
    policies: {
      powerCycle: {
        enabled: pc.enabled,
        afterUnreachableMs: durationMs(pc.afterUnreachable),
        maxCyclesPerHour: pc.maxCyclesPerHour,
        minOffMs: durationMs(pc.minOff),
      },
      aptListsMaxAgeMs: durationMs(policies.aptListsMaxAge ?? DEFAULTS.policies.aptListsMaxAge),
      dpkgLockTimeoutSeconds: Math.ceil(durationMs(policies.dpkgLockTimeout ?? DEFAULTS.policies.dpkgLockTimeout) / 1000),
      resyncIntervalMs: durationMs(policies.resyncInterval ?? DEFAULTS.policies.resyncInterval),
      backoffBaseMs: durationMs(backoff.base),
      backoffMaxMs: durationMs(backoff.max),
      enlistWindowMs: durationMs(policies.enlistWindow ?? DEFAULTS.policies.enlistWindow),
    },
    stacks,
    nodes: stacks.flatMap((s) => s.nodes),
    actions,
    ...(raw.http?.cors ? { http: { cors: { origins: [...raw.http.cors.origins], credentials: raw.http.cors.credentials ?? false } } } : {}),
    ...(raw.alerts?.webhooks
      ? {
          webhooks: Object.entries(raw.alerts.webhooks).map(([name, w]) => ({
            name,
            url: w.url,
            events: [...w.events] as AlertEvent[],
            minIntervalMs: durationMs(w.minInterval ?? DEFAULTS.webhook.minInterval),
          })),
        }
      : {}),
    revision: options.revision,
    sourcePath: options.sourcePath,
  };
  return { rack, problems, warnings };
}

function readDaemonKey(
  keyFile: string,
  at: Seg,
  options: ResolveOptions,
  problems: UnplacedProblem[],
  warnings: UnplacedProblem[],
): string | undefined {
  const pubPath = `${keyFile}.pub`;
  let text: string | undefined;
  try {
    text = options.readPublicKey(pubPath);
  } catch (err) {
    problems.push({
      segments: at,
      message: `cannot read the daemon's public key ${pubPath}: ${(err as Error).message}`,
      hint: "Check the file's permissions.",
    });
    return undefined;
  }
  if (text === undefined) {
    const p: UnplacedProblem = {
      segments: at,
      message: `the daemon's public key ${pubPath} does not exist`,
      hint: `Create the daemon's key on the master: ssh-keygen -t ed25519 -f ${keyFile} -N '' (or point ssh.keyFile at an existing key).`,
    };
    (options.requireKey ? problems : warnings).push(p);
    return undefined;
  }
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined || !KEY_LINE.test(line)) {
    problems.push({
      segments: at,
      message: `${pubPath} does not hold an OpenSSH public key line`,
      hint: `Regenerate it: ssh-keygen -y -f ${keyFile} > ${pubPath}`,
    });
    return undefined;
  }
  return line;
}

function fileContent(
  f: RawFile,
  at: Seg,
  options: ResolveOptions,
  abs: (p: string) => string,
  problems: UnplacedProblem[],
): string | undefined {
  if (f.content !== undefined) return f.content;
  const source = f.source ?? '';
  const where = humanPath([...at, 'source']);
  if (source.startsWith('builtin:')) {
    const name = source.slice('builtin:'.length);
    if (!options.resolveBuiltin) {
      problems.push({
        segments: [...at, 'source'],
        message: `${where}: builtin ${name} unavailable`,
        hint: 'This program was started without its builtin files; use `source:` with a path or `content:` instead, or run the pirack that ships them.',
      });
      return undefined;
    }
    let content: string | undefined;
    let why = 'unknown builtin';
    try {
      content = options.resolveBuiltin(name);
    } catch (err) {
      why = (err as Error).message;
    }
    if (content === undefined)
      problems.push({
        segments: [...at, 'source'],
        message: `${where}: builtin ${name} unavailable (${why})`,
        hint: 'Check the builtin name (e.g. builtin:pirack-slave).',
      });
    return content;
  }
  const path = abs(source);
  try {
    return options.readFile(path);
  } catch (err) {
    if (err instanceof ReadRefusedError) {
      problems.push({
        segments: [...at, 'source'],
        message: `${where} "${source}" is refused: ${err.message}`,
        hint: REFUSED_HINT[err.code],
      });
      return undefined;
    }
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({
      segments: [...at, 'source'],
      message: `${where} "${source}" cannot be read (${code ?? (err as Error).message}: ${path})`,
      hint: `Relative sources are read from the folder of ${options.sourcePath} (${options.baseDir}); fix the path or add the file.`,
    });
    return undefined;
  }
}
