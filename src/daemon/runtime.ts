/**
 * Everything a command that talks to the rack needs, built from rack.yaml and the state dir: the
 * SSH pool with pinned host keys, the observed-state store, the rack-level effects, the event log,
 * the one reconciler and the status report over them. `daemon`, `apply --once`, `plan`, `power`
 * and `enlist` all start here, so they run the same code.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { registry } from '../../controllers/index.ts';
import { pirackError } from '../errors.ts';
import { watchLeases } from '../dhcp/leases.ts';
import type { RackSpec } from '../model/desired.ts';
import type { WorkKey } from '../reconcile/keys.ts';
import { ObservedStore } from '../reconcile/observed-store.ts';
import type { WorkOutcome } from '../reconcile/queue.ts';
import { Reconciler } from '../reconcile/reconciler.ts';
import { StatusTracker, type RevisionInfo } from '../reconcile/status-tracker.ts';
import { openHostKeyStore, type HostKeyStore } from '../ssh/hostkeys.ts';
import { createSshPool, type SshPool } from '../ssh/pool.ts';
import { readSecretFile, type Secret } from '../ssh/secret.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { EventLog } from '../state/event-log.ts';
import { loadMaintenance, saveMaintenance } from '../state/maintenance-file.ts';
import { loadEnlistAttempts, loadOperatorState, saveEnlistAttempts, saveOperatorState } from '../state/rack-memory.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { loadCycleHistory, saveCycleHistory } from './cycle-history.ts';
import { createRackIo, type OwnedRackIo } from './rack-io.ts';

export interface Runtime {
  readonly stateDir: string;
  readonly ssh: SshPool;
  readonly hostKeys: HostKeyStore;
  readonly store: ObservedStore;
  readonly tracker: StatusTracker;
  readonly events: EventLog;
  readonly reconciler: Reconciler;
  readonly io: OwnedRackIo;
  /** The revisions shown in the report (the daemon's judge or the CLI sets them). */
  setRevisions(revisions: RevisionInfo): void;
  writeStatus(): Promise<void>;
  close(): Promise<void>;
}

export const STATUS_FILE = 'status.json';

export interface RuntimeOptions {
  readonly stateDir: string;
  readonly log: Logger;
  /** `observe` never applies (`pirack plan`). Default `apply`. */
  readonly mode?: 'apply' | 'observe';
  readonly clock?: Clock;
  /** After each pass of any key. */
  readonly onPass?: (key: WorkKey, durationMs: number, outcome: WorkOutcome) => void;
  /** Tells a person what to switch with the manual relay; default: an event. */
  readonly notifyManual?: (request: { stack: number; message: string }) => void;
}

export async function openRuntime(rack: RackSpec, options: RuntimeOptions): Promise<Runtime> {
  const { stateDir, log } = options;
  const clock = options.clock ?? systemClock;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const privateKey = await readFile(rack.ssh.keyFile).catch((cause: unknown) => {
    throw pirackError(
      'PIRACK_ERR_CONFIG_READ',
      `cannot read the daemon's SSH key ${rack.ssh.keyFile}: ${(cause as Error).message}; create it with ssh-keygen -t ed25519 -N '' -f ${rack.ssh.keyFile}`,
      { cause },
    );
  });
  const bootstrap = rack.ssh.bootstrap ? await readBootstrap(rack.ssh.bootstrap, log) : undefined;
  const sudoPassword = rack.ssh.sudo ? await readSudoPassword(rack.ssh.sudo, log) : undefined;
  const hostKeys = await openHostKeyStore({ stateDir });
  const ssh = createSshPool({
    user: rack.ssh.user,
    port: rack.ssh.port,
    privateKey,
    ...(bootstrap ? { bootstrap } : {}),
    ...(sudoPassword ? { sudoPassword } : {}),
    connectTimeoutMs: rack.ssh.connectTimeoutMs,
    execTimeoutMs: rack.ssh.execTimeoutMs,
    keepaliveIntervalMs: rack.ssh.keepaliveIntervalMs,
    maxSessionsPerConnection: rack.ssh.maxSessionsPerConnection,
    hostKeys,
    log: log.child({ component: 'ssh' }),
  });
  const events = new EventLog({ path: join(stateDir, 'events.jsonl') });
  const store = new ObservedStore();
  store.restoreCycles(await loadCycleHistory(stateDir, clock.now()));
  const attempts = await loadEnlistAttempts(stateDir);
  store.recordEnlistment((m) => ({ ...m, attempts }));
  const io = createRackIo({
    stateDir,
    log,
    clock,
    notifyManual:
      options.notifyManual ??
      ((request) => events.add({ kind: 'manual-power', target: `stack ${request.stack}`, message: request.message, result: 'info' })),
  });
  const maintenance = await loadMaintenance(stateDir);
  if (maintenance.problem) log.warn({ problem: maintenance.problem }, 'maintenance holds not restored');
  const reconciler = new Reconciler(rack, {
    controllers: registry,
    clock,
    log: log.child({ component: 'reconciler' }),
    ssh,
    io,
    store,
    emit: (event) => events.add(event),
    mode: options.mode ?? 'apply',
    operator: await loadOperatorState(stateDir),
    maintenance: maintenance.state,
    memory: {
      saveCycles: (cycles) => saveCycleHistory(stateDir, cycles),
      saveAttempts: (a) => saveEnlistAttempts(stateDir, a),
      saveOperator: (state) => saveOperatorState(stateDir, state),
      saveMaintenance: (state) => saveMaintenance(stateDir, state),
    },
    watchLeases: (r, onChange) =>
      watchLeases(r.network.dhcp.leasesFile, (parsed) => onChange(parsed.leases), {
        onError: (err) => log.warn({ err }, 'cannot read the DHCP leases'),
      }),
    ...(options.onPass ? { onPass: options.onPass } : {}),
  });
  let revisions: RevisionInfo = { revisionErrors: [] };
  const tracker = new StatusTracker(
    store,
    () => ({
      rack: reconciler.desired,
      operator: reconciler.operatorState,
      revisions,
      suspended: reconciler.suspended,
      holds: reconciler.holds.holds,
    }),
    registry,
    () => new Date(clock.now()),
  );
  return {
    stateDir,
    ssh,
    hostKeys,
    store,
    tracker,
    events,
    reconciler,
    io,
    setRevisions(next) {
      revisions = next;
      tracker.touch();
    },
    writeStatus: () => writeFileAtomic(join(stateDir, STATUS_FILE), `${JSON.stringify(tracker.report(), null, 2)}\n`, { noSync: true }),
    async close() {
      await reconciler.stop();
      await io.close();
      await ssh.close();
    },
  };
}

/**
 * The login user's sudo password. A file named by ssh.sudo.passwordFile must be readable (a wrong
 * setting stops here, before any Pi is touched); the bootstrap password file doubling as it may
 * be gone once the Pis have the key: then sudo must not ask (NOPASSWD), and a Pi whose sudo does
 * ask says so with SUDO_AUTH.
 */
async function readSudoPassword(spec: NonNullable<RackSpec['ssh']['sudo']>, log: Logger): Promise<Secret | undefined> {
  if (spec.passwordFile === undefined) return undefined;
  if (!spec.fromBootstrap) return readSecretFile(spec.passwordFile, 'sudo password');
  try {
    return await readSecretFile(spec.passwordFile);
  } catch (err) {
    log.warn(
      { file: spec.passwordFile, reason: (err as Error).message },
      'no sudo password: sudo on the Pis must not ask for one (NOPASSWD)',
    );
    return undefined;
  }
}

/** A missing password file only means fresh Pis cannot be reached yet: warn, don't stop. */
async function readBootstrap(
  spec: NonNullable<RackSpec['ssh']['bootstrap']>,
  log: Logger,
): Promise<{ user: string; password: Secret } | undefined> {
  try {
    return { user: spec.user, password: await readSecretFile(spec.passwordFile) };
  } catch (err) {
    log.warn(
      { file: spec.passwordFile, reason: (err as Error).message },
      'no bootstrap password: fresh Pis cannot be contacted until their key is installed',
    );
    return undefined;
  }
}
