import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSchema } from '../../../src/config/schema.ts';
import {
  gpioShimFiles,
  parseShimArgs,
  RELAY_SOCKET,
  startMasterRelay,
  type MasterRelay,
  type ShimAnswer,
} from '../../../src/lab/master-relay.ts';
import { masterNetCommands, masterNspawnArgs, MASTER_VM_IP } from '../../../src/lab/master.ts';
import { LAB_PREFIX } from '../../../src/lab/paths.ts';
import { masterRackObject } from '../../../src/lab/rack-yaml.ts';
import { gpiogetArgs, gpiosetArgs } from '../../../src/relay/gpiod.ts';
import type { PowerState } from '../../../src/model/desired.ts';
import type { RelayDriver } from '../../../src/relay/types.ts';

/** A lab relay stand-in: stacks 1 and 2, stack 1 running. */
function fakeLabRelay(): RelayDriver & { sets: string[] } {
  const power = new Map<number, PowerState>([
    [1, 'on'],
    [2, 'off'],
  ]);
  const sets: string[] = [];
  return {
    name: 'fake-lab',
    sets,
    read: async (stack) => power.get(stack) ?? 'unknown',
    set: async (stack, state) => {
      sets.push(`${stack} ${state}`);
      power.set(stack, state);
    },
    close: async () => {},
  };
}

function ask(socketPath: string, tool: string, args: string[]): Promise<ShimAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/gpio', method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(JSON.parse(text) as ShimAnswer));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ tool, args }));
  });
}

describe('the virtual master relay stand-in', () => {
  let dir: string | undefined;
  let relay: MasterRelay | undefined;
  afterEach(async () => {
    await relay?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the argv the gpiod driver sends (v2), and refuses anything else', () => {
    expect(parseShimArgs('gpioset', gpiosetArgs(2, 'gpiochip0', 17, 'on', false))).toEqual({ line: 17, value: 1 });
    expect(parseShimArgs('gpioset', gpiosetArgs(2, 'gpiochip0', 27, 'off', true))).toEqual({ line: 27, value: 0 });
    expect(parseShimArgs('gpioget', gpiogetArgs('gpiochip0', 17, false))).toEqual({ line: 17 });
    expect(parseShimArgs('gpioset', ['-c', 'gpiochip1', '-t0', '17=1'])).toMatch(/gpiochip0/);
    expect(parseShimArgs('gpioset', ['-c', 'gpiochip0', '-t0', '17=2'])).toMatch(/LINE=0 or LINE=1/);
    expect(parseShimArgs('gpioset', ['-c', 'gpiochip0', '-t0', '17=1', '27=1'])).toMatch(/one line/);
    expect(parseShimArgs('gpioget', ['-c', 'gpiochip0', '17=1'])).toMatch(/no value/);
  });

  it('keeps a level per line: gpioset switches the stack once, gpioget reads the level, an equal gpioset changes nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pirack-master-relay-'));
    const lab = fakeLabRelay();
    relay = await startMasterRelay({
      relayDir: dir,
      lines: new Map([
        [17, 1],
        [27, 2],
      ]),
      relay: lab,
    });
    const socket = join(dir, RELAY_SOCKET);
    expect((await ask(socket, 'gpioset', ['--version'])).stdout).toMatch(/v2\./);
    expect((await ask(socket, 'gpiodetect', [])).stdout).toMatch(/^gpiochip0 \[pinctrl-bcm2835\]/);
    expect((await ask(socket, 'gpioget', gpiogetArgs('gpiochip0', 17, false))).stdout.trim()).toBe('"17"=active');
    expect((await ask(socket, 'gpioget', gpiogetArgs('gpiochip0', 27, false))).stdout.trim()).toBe('"27"=inactive');
    expect((await ask(socket, 'gpioset', gpiosetArgs(2, 'gpiochip0', 17, 'on', false))).code).toBe(0);
    expect(relay.switches).toEqual([]);
    await ask(socket, 'gpioset', gpiosetArgs(2, 'gpiochip0', 27, 'on', false));
    expect((await ask(socket, 'gpioget', gpiogetArgs('gpiochip0', 27, false))).stdout.trim()).toBe('"27"=active');
    await relay.settled();
    expect(relay.switches.map((s) => `${s.stack} ${s.power}`)).toEqual(['2 on']);
    expect(lab.sets).toEqual(['2 on']);
    const bad = await ask(socket, 'gpioset', ['-c', 'gpiochip0', '17=on']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^gpioset: /);
    expect(lab.sets).toEqual(['2 on']);
  });

  it('ships one Node.js script per tool, each naming its tool and the bind-mounted socket', () => {
    const files = gpioShimFiles();
    expect(files.map((f) => f.name)).toEqual(['gpioset', 'gpioget', 'gpiodetect']);
    for (const f of files) {
      expect(f.text.startsWith('#!/usr/local/bin/node\n')).toBe(true);
      expect(f.text).toContain(`tool: "${f.name}"`);
      expect(f.text).toContain('/run/pirack-lab-relay/relay.sock');
    }
  });
});

describe('the virtual master container', () => {
  it("gets its own namespace and a veth whose names `lab down` finds by the lab's prefix", () => {
    const commands = masterNetCommands();
    expect(commands[0]).toEqual(['netns', 'add', `${LAB_PREFIX}master`]);
    for (const name of [commands[1]![2], commands[1]![7]]) {
      expect(name!.startsWith(LAB_PREFIX)).toBe(true);
      expect(name!.length).toBeLessThanOrEqual(15);
    }
  });

  it('borrows host directories read-only unless they must be written', () => {
    const args = masterNspawnArgs('/lab/master/root', [
      { host: '/usr/bin/node', inside: '/usr/local/bin/node' },
      { host: '/root/.npm', inside: '/root/.npm', writable: true },
    ]);
    expect(args).toContain('--bind-ro=/usr/bin/node:/usr/local/bin/node');
    expect(args).toContain('--bind=/root/.npm:/root/.npm');
    expect(args).toContain('--network-namespace-path=/run/netns/pirack-master');
  });

  it("has a rack.yaml of an installed master: valid, the gpiod relay with a line per stack, the master's own paths", () => {
    const doc = masterRackObject({ dir: '/lab', stacks: 2, perStack: 1, blankInventory: false, masterIp: MASTER_VM_IP }) as any;
    expect(checkSchema(doc)).toEqual([]);
    expect(doc.relay.driver).toBe('gpiod');
    expect(doc.stacks.map((s: any) => s.relayPin)).toEqual([17, 27]);
    expect(doc.network.master).toBe(MASTER_VM_IP);
    expect(doc.network.dhcp.leasesFile).toBe('/var/lib/misc/dnsmasq.leases');
    expect(doc.ssh.keyFile).toBe('/var/lib/pirack/id_ed25519');
    expect(doc.ssh.bootstrap.passwordFile).toBe('secrets/bootstrap-password');
    expect(() => masterRackObject({ dir: '/lab', stacks: 9, perStack: 1, blankInventory: false, masterIp: MASTER_VM_IP })).toThrow(
      RangeError,
    );
  });
});
