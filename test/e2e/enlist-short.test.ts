/**
 * Enlistment memory is kept in the state dir: a stack that came up short (rack.yaml declares a Pi
 * the lab does not have) is enlisted once, and a restarted daemon does not enlist it again at the
 * same revision (that would power-cycle it forever). `pirack enlist` is how to try again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../src/daemon/daemon.ts';
import { labIp, readState } from '../../src/lab/index.ts';
import { captureLog } from '../support/captured-log.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 1, perStack: 2, blankInventory: true, poweredStacks: [], rootLogin: true });

let daemon: Daemon | undefined;
let rackPath = '';
const captured = captureLog();

function startDaemon(): Daemon {
  return new Daemon({ stateDir: lab().stateDir, log: captured.log });
}
const offer = (d: Daemon) => d.offer({ revision: 'short-e2e', text: readFileSync(rackPath, 'utf8'), path: rackPath });
const context = () => captured.tail(20);

async function initPids(): Promise<Record<number, number | undefined>> {
  const state = await readState(lab().up.dir);
  return Object.fromEntries((state?.pis ?? []).map((p) => [p.id, p.init?.pid]));
}

beforeAll(() => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as {
    stacks: { power: string; pis: { id: number; ip: string }[] }[];
    policies: Record<string, unknown>;
    defaults: Record<string, unknown>;
  };
  doc.stacks[0]!.power = 'on';
  // A third Pi the lab does not have: the stack can only come up short.
  doc.stacks[0]!.pis.push({ id: 3, ip: labIp(3) });
  doc.defaults = { ...doc.defaults, packages: [], files: [], services: [] };
  doc.policies = {
    ...doc.policies,
    enlistWindow: '15s',
    backoff: { base: '1s', max: '5s' },
    powerCycle: { enabled: false, afterUnreachable: '2m', maxCyclesPerHour: 2, minOff: '2s' },
  };
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
});

afterAll(async () => {
  await daemon?.close();
});

describe('enlistment memory across a daemon restart', () => {
  it('enlists the stack once, comes up short, and remembers it in the state dir', async () => {
    daemon = startDaemon();
    await offer(daemon);
    const short = await waitUntil('stack 1 to come up short', 150_000, () => daemon!.events().find((e) => e.kind === 'enlist-missing'), {
      every: 500,
      context,
    });
    expect(short).toMatchObject({ target: 'stack 1', result: 'failed' });
    expect(short.message).toMatch(/found 2 of 3 Pis/);
    const attempts = await waitUntil('the attempt saved', 90_000, () => {
      try {
        return (
          JSON.parse(readFileSync(join(lab().stateDir, 'enlistments.json'), 'utf8')) as {
            attempts: Record<string, { revision: string; found: number; expected: number }>;
          }
        ).attempts;
      } catch {
        return undefined;
      }
    });
    expect(attempts['1']).toMatchObject({ revision: 'short-e2e', found: 2, expected: 3 });
  }, 200_000);

  it('a restarted daemon does not enlist that stack again, and reboots nothing', async () => {
    await waitUntil('the enlistment to be over', 60_000, () => (daemon!.status().rack.enlistment?.active ? undefined : true), {
      every: 500,
      context,
    });
    await new Promise((r) => setTimeout(r, 5_000)); // the enlistment's closing power-cycle and checks settle
    const pids = await initPids();
    const lastSeq = Math.max(0, ...daemon!.events().map((e) => e.seq));
    await daemon!.close();
    daemon = startDaemon();
    await offer(daemon);
    // Several rack passes (5 s apart) give it every chance to start again, wrongly.
    await new Promise((r) => setTimeout(r, 16_000));
    const after = daemon.events(lastSeq);
    expect(after.some((e) => e.kind === 'revision-applied')).toBe(true);
    expect(after.filter((e) => e.kind.startsWith('enlist') || e.kind.startsWith('stack-'))).toEqual([]);
    expect(daemon.status().rack.enlistment?.active ?? false).toBe(false);
    expect(await initPids()).toEqual(pids);
  }, 120_000);
});
