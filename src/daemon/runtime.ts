/**
 * Everything a command that talks to the rack needs, built from rack.yaml and the state dir:
 * the SSH pool with pinned host keys, the status tracker, the event log and the reconciler.
 * `plan`, `apply --once` and `daemon` all start here so they behave alike.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { nodeControllers } from '../../controllers/index.ts';
import { pirackError } from '../errors.ts';
import type { RackSpec } from '../model/desired.ts';
import type { NodePassResult } from '../reconcile/node-pass.ts';
import { Reconciler } from '../reconcile/reconciler.ts';
import { StatusTracker } from '../reconcile/status-tracker.ts';
import { openHostKeyStore, type HostKeyStore } from '../ssh/hostkeys.ts';
import { createSshPool, type SshPool } from '../ssh/pool.ts';
import { readSecretFile, type Secret } from '../ssh/secret.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { EventLog } from '../state/event-log.ts';

export interface Runtime {
  readonly stateDir: string;
  readonly ssh: SshPool;
  readonly hostKeys: HostKeyStore;
  readonly tracker: StatusTracker;
  readonly events: EventLog;
  readonly reconciler: Reconciler;
  writeStatus(): Promise<void>;
  close(): Promise<void>;
}

export const STATUS_FILE = 'status.json';

export interface RuntimeOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly onPass?: (result: NodePassResult) => void;
}

export async function openRuntime(rack: RackSpec, options: RuntimeOptions): Promise<Runtime> {
  const { stateDir, log } = options;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const privateKey = await readFile(rack.ssh.keyFile).catch((cause: unknown) => {
    throw pirackError('PIRACK_ERR_CONFIG_READ', `cannot read the daemon's SSH key ${rack.ssh.keyFile}: ${(cause as Error).message}; create it with ssh-keygen -t ed25519 -N '' -f ${rack.ssh.keyFile}`, { cause });
  });
  const bootstrap = rack.ssh.bootstrap ? await readBootstrap(rack.ssh.bootstrap, log) : undefined;
  const hostKeys = await openHostKeyStore({ stateDir });
  const ssh = createSshPool({
    user: rack.ssh.user,
    port: rack.ssh.port,
    privateKey,
    ...(bootstrap ? { bootstrap } : {}),
    connectTimeoutMs: rack.ssh.connectTimeoutMs,
    execTimeoutMs: rack.ssh.execTimeoutMs,
    keepaliveIntervalMs: rack.ssh.keepaliveIntervalMs,
    maxSessionsPerConnection: rack.ssh.maxSessionsPerConnection,
    hostKeys,
    log: log.child({ component: 'ssh' }),
  });
  const tracker = new StatusTracker();
  const events = new EventLog({ path: join(stateDir, 'events.jsonl') });
  const reconciler = new Reconciler(rack, {
    ssh, controllers: nodeControllers, tracker, events, log: log.child({ component: 'reconciler' }),
    ...(options.onPass ? { onPass: options.onPass } : {}),
  });
  return {
    stateDir,
    ssh,
    hostKeys,
    tracker,
    events,
    reconciler,
    writeStatus: () => writeFileAtomic(join(stateDir, STATUS_FILE), `${JSON.stringify(tracker.report(reconciler.desired), null, 2)}\n`, { noSync: true }),
    close: () => ssh.close(),
  };
}

/** A missing password file only means fresh Pis cannot be reached yet: warn, don't stop. */
async function readBootstrap(spec: NonNullable<RackSpec['ssh']['bootstrap']>, log: Logger): Promise<{ user: string; password: Secret } | undefined> {
  try {
    return { user: spec.user, password: await readSecretFile(spec.passwordFile) };
  } catch (err) {
    log.warn({ file: spec.passwordFile, reason: (err as Error).message }, 'no bootstrap password: fresh Pis cannot be contacted until their key is installed');
    return undefined;
  }
}
