/**
 * `pirack replace PI`: one command for a Pi whose MAC changed (src/dhcp/replace.ts does the
 * deciding; this file wires its effects). When a daemon runs on the state dir, this command holds
 * the Pi (maintenance, POST /api/v1/suspend) while it works and lifts the hold afterwards, rather
 * than asking the daemon to do the replacement: the hold is all it takes for the daemon to keep
 * its hands off the Pi and its stack (no pass, no relay change, no enlistment of the stack), the
 * files this command writes (bindings, hosts file, pins) are the ones the daemon re-reads anyway,
 * and the operator's confirmation stays an interactive step of this command. The confirmation is
 * recorded in the daemon's event log (POST /api/v1/pis/N/replaced), and a relay cycle, if one is
 * confirmed, is asked of the daemon too, so only one process ever drives the relay.
 */
import { hostname, userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import ssh2 from 'ssh2';
import { pirackError, isPiRackError } from '../../errors.ts';
import { REBOOT } from '../../daemon/actions.ts';
import { openRuntime, type Runtime } from '../../daemon/runtime.ts';
import { createDhcpContext } from '../../dhcp/context.ts';
import {
  DEFAULT_REPLACE_REACH_MS,
  DEFAULT_REPLACE_WINDOW_MS,
  runReplace,
  type ReplaceResult,
  type ScannedKey,
} from '../../dhcp/replace.ts';
import { createLogger } from '../../log.ts';
import type { RackSpec } from '../../model/desired.ts';
import type { StatusReport } from '../../model/status.ts';
import { sha256Fingerprint } from '../../ssh/fingerprint.ts';
import { openHostKeyStore } from '../../ssh/hostkeys.ts';
import { sleep } from '../../util/sleep.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../output.ts';
import { cliOperator } from './power.ts';
import { durationArg } from './run.ts';

interface ReplaceCliOptions extends RackOptions {
  readonly mac?: string;
  readonly force?: boolean;
  readonly yes?: boolean;
  readonly cycleStack?: boolean;
  readonly window: number;
  readonly timeout: number;
  readonly json?: boolean;
}

/** The host key a Pi offers at `ip`, read in the handshake the way the daemon's ssh2 reads it; nothing is sent. */
export function scanHostKey(ip: string, port: number, timeoutMs = 5000): Promise<ScannedKey | undefined> {
  return new Promise((resolve) => {
    let key: Buffer | undefined;
    const client = new ssh2.Client();
    const done = () => {
      client.end();
      resolve(key ? { blob: key, fingerprint: sha256Fingerprint(key) } : undefined);
    };
    client.once('error', done);
    client.once('close', done);
    client.connect({
      host: ip,
      port,
      username: 'pirack-hostkey-scan',
      readyTimeout: timeoutMs,
      hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
        key = blob;
        verify(false);
      },
    });
  });
}

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry
  }
  return `${user}@${hostname()}`;
}

async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function daemonSays(daemon: DaemonClient, method: 'POST', path: string, body?: unknown): Promise<string> {
  const answer = await daemon.request<{ ok: boolean; message: string }>(method, path, body);
  if (!answer.body.ok) throw pirackError('PIRACK_ERR_REPLACE_REFUSED', `the daemon refused ${path}: ${answer.body.message}`);
  return answer.body.message;
}

async function readyInDaemon(daemon: DaemonClient, id: number, timeoutMs: number): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const status = (await daemon.request<StatusReport>('GET', '/api/v1/status')).body;
    const ready = status.nodes.find((n) => n.id === id)?.conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return undefined;
    if (ready && ready.message !== last) progress(`pi ${id}: the daemon converges it: ${(last = ready.message ?? '')}`);
    if (Date.now() > until) return ready?.message ?? 'no Ready condition yet';
    await sleep(2000);
  }
}

async function replace(id: number, opts: ReplaceCliOptions): Promise<number> {
  const rack: RackSpec = await readRack(opts.rack, opts.allowSource);
  const node = rack.nodes.find((n) => n.id === id);
  const daemon = await findDaemon(opts.stateDir);
  const log = createLogger({ level: 'warn' }).child({ command: 'replace' });
  const dhcp = createDhcpContext(rack, { stateDir: opts.stateDir, log });
  const pins = await openHostKeyStore({ stateDir: opts.stateDir });
  const port = rack.ssh.port;
  const by = who();
  let runtime: Runtime | undefined;
  const rt = async () => (runtime ??= await openRuntime(rack, { stateDir: opts.stateDir, log }));

  const hold = { pi: id, reason: 'pirack replace: moving it to new hardware', by };
  let held = false;
  // An operator's own hold on the Pi stays as it is: this command neither takes nor lifts it.
  const alreadyHeld =
    daemon !== undefined &&
    (await daemon.request<StatusReport>('GET', '/api/v1/status')).body.nodes.find((n) => n.id === id)?.suspended !== undefined;
  const takeHold = async () => {
    if (!daemon || alreadyHeld || held) return;
    await daemonSays(daemon, 'POST', '/api/v1/suspend', hold);
    held = true;
  };
  const liftHold = async () => {
    if (!daemon || !held) return;
    held = false;
    await daemonSays(daemon, 'POST', '/api/v1/resume', { pi: id });
  };

  let result: ReplaceResult;
  try {
    result = await runReplace(
      {
        rack,
        node: id,
        windowMs: opts.window,
        reachTimeoutMs: opts.timeout,
        ...(opts.force ? { force: true } : {}),
        ...(opts.mac ? { mac: opts.mac } : {}),
      },
      {
        readLeases: () => dhcp.readLeases(),
        readBindings: () => dhcp.readBindings(),
        writeBindings: (b) => dhcp.writeBindings(b),
        writeHosts: (e) => dhcp.writeHosts(e),
        pinnedFingerprint: () => pins.get(id)?.fingerprint,
        // The Pi itself is asked, not the daemon's last verdict: a Pi that just died may still be
        // reported Ready until its next pass fails.
        isAlive: async () => {
          const pin = pins.get(id);
          const seen = node ? await scanHostKey(node.ip, port) : undefined;
          if (pin && seen?.fingerprint === pin.fingerprint)
            return { alive: true, why: `${node?.ip} answers with its pinned host key ${pin.fingerprint}` };
          return { alive: false, why: 'it does not answer with its pinned host key' };
        },
        scanHostKey: (ip) => scanHostKey(ip, port),
        pinHostKey: async (key) => {
          await pins.repin(id);
          const verdict = await pins.check(id, node?.ip ?? '', key.blob);
          if (verdict.kind !== 'pinned')
            throw pirackError('PIRACK_ERR_STATE', `pi ${id}: the new host key was not pinned (${verdict.kind})`);
        },
        confirm: async (question) => {
          if (opts.yes) return { yes: true, by: `${by} (--yes)` };
          progress(question);
          return (await ask('Bind and pin?')) ? { yes: true, by: `${by} (answered yes)` } : { yes: false, by };
        },
        confirmCycle: async (question) => {
          progress(question);
          if (opts.cycleStack) return true;
          return ask('Cycle the stack?');
        },
        cycleStack: async () => {
          const stack = node?.stack ?? 0;
          if (daemon) {
            // The hold keeps the daemon off the stack's relay: lifted for the cycle, which it then drives.
            await liftHold();
            progress(await daemonSays(daemon, 'POST', `/api/v1/stacks/${stack}/power`, { op: 'cycle' }));
            await takeHold();
            return;
          }
          const outcome = await (await rt()).reconciler.power([stack], 'cycle', cliOperator('replace'));
          if (!outcome.ok) throw pirackError('PIRACK_ERR_RELAY', outcome.message, { where: `stack ${stack}` });
        },
        rebootAt: async (ip) => {
          const r = await (await rt()).ssh.exec({ node: id, host: ip, port }, REBOOT, { timeoutMs: 30_000 });
          if (r.exitCode !== 0) throw new Error(`the reboot command exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
          (await rt()).ssh.forget(id);
        },
        record: async (event) => {
          if (!daemon) {
            (await rt()).events.add(event);
            return;
          }
          await daemonSays(daemon, 'POST', `/api/v1/pis/${id}/replaced`, { message: event.message }).catch((err: unknown) =>
            progress(
              `warning: the daemon did not record the confirmation (${(err as Error).message}); it is in this output: ${event.message}`,
            ),
          );
        },
        hold: async () => {
          if (daemon) progress(`a daemon runs (pid ${daemon.record.pid}): holding pi ${id} while it is replaced`);
          await takeHold();
        },
        progress,
        now: Date.now,
        sleep,
      },
    );
  } catch (err) {
    await liftHold().catch(() => undefined);
    await runtime?.close();
    if (isPiRackError(err) && err.code === 'PIRACK_ERR_REPLACE_INCOMPLETE') {
      process.stderr.write(`pirack: ${err.describe()}\n`);
      return EXIT.DIFFERS;
    }
    throw err;
  }
  await runtime?.close();
  await liftHold();
  let notReady: string | undefined;
  if (daemon) {
    await daemon.request('POST', '/api/v1/reconcile', { pis: [id] }).catch(() => undefined);
    notReady = await readyInDaemon(daemon, id, opts.timeout);
  }
  const next = daemon
    ? notReady === undefined
      ? 'Ready'
      : `not Ready within ${Math.round(opts.timeout / 1000)} s (${notReady})`
    : 'run `pirack apply --once` (or start the daemon) to converge it';
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...result, ready: daemon ? notReady === undefined : null }, null, 2)}\n`);
  else
    process.stdout.write(
      `pi ${id} replaced: MAC ${result.oldMac ?? 'none'} → ${result.newMac}, host key ${result.oldFingerprint ?? 'none'} → ${result.newFingerprint} (confirmed by ${result.by}), at ${result.ip}${result.cycledStack ? ` after cycling stack ${node?.stack}` : ''}; ${next}\n`,
    );
  return notReady === undefined ? EXIT.OK : EXIT.DIFFERS;
}

export function replaceCommand(): Command {
  return addRackOptions(new Command('replace'))
    .description(
      "move a Pi's id, fixed IP and pinned host key to new hardware (a new MAC): only its stack is involved, its relay only with your yes",
    )
    .argument('<pi>', 'the Pi id in rack.yaml', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw pirackError('PIRACK_ERR_USAGE', `<pi> must be a Pi id, got "${v}"`);
      return Number(v);
    })
    .option('--mac <mac>', 'the new Pi’s MAC, when several unknown MACs hold DHCP leases (or to be sure)')
    .option('--yes', 'confirm binding the new MAC and pinning the host key it shows, without asking')
    .option(
      '--cycle-stack',
      'if the new Pi holds no lease (or cannot be rebooted), cycle its stack’s relay: this cuts every Pi of the stack',
    )
    .option('--force', 'replace a Pi that still answers with its pinned host key (Ready)')
    .addOption(
      new Option('--window <duration>', 'how long to wait for the new Pi’s DHCP lease and host key')
        .argParser(durationArg)
        .default(DEFAULT_REPLACE_WINDOW_MS, `${DEFAULT_REPLACE_WINDOW_MS / 1000}s`),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long the new Pi may take to answer at its fixed IP, then to be Ready')
        .argParser(durationArg)
        .default(DEFAULT_REPLACE_REACH_MS, `${DEFAULT_REPLACE_REACH_MS / 1000}s`),
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Steps: refuse a Pi that still answers (without --force); find the DHCP lease of a MAC nothing knows
(exactly one, or the one --mac names); read the host key it offers and ask you to confirm; then
release the old MAC and bind the new one to the Pi's fixed IP (dnsmasq hosts entry), pin the new
host key for this Pi only, record your confirmation as a pi-replaced event, and reboot the new Pi
over SSH so it takes its fixed IP. When a daemon runs it holds the Pi meanwhile and converges it.
The relay switches a whole stack: it is cycled only with --cycle-stack or your interactive yes.

Exit codes: 0 replaced (and Ready, with a daemon); 1 bound and pinned but not at its fixed IP or
not Ready in time; 2 refused or failed with nothing changed (PIRACK_ERR_REPLACE_REFUSED says why).

Example:
  pirack replace 7 --yes                  # the new Pi in slot 7 is powered and has a lease
  pirack replace 7 --mac b8:27:eb:12:34:56 --yes --cycle-stack`,
    )
    .action(async (id: number, opts: ReplaceCliOptions) => {
      process.exitCode = await replace(id, opts);
    });
}
