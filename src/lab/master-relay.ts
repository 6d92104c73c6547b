/**
 * The virtual master's relay: stand-ins for libgpiod's `gpioset`, `gpioget` and `gpiodetect`
 * inside the master container, which forward their argv over a Unix socket (bind-mounted from
 * the lab dir) to a server on the host that switches the lab's stacks. The daemon on the master
 * runs its real gpiod driver (src/relay/gpiod.ts) with the v2 syntax, and cannot tell.
 *
 * Like a real GPIO line, the server holds a level per line: `gpioset` changes the level and
 * returns at once, and the stack's Pis follow in the background (booting takes longer than the
 * driver's 5 s per command); `gpioget --as-is` reads the level back. The first level of a line is
 * whether its stack runs. Every `gpioset` that changes a level is logged, so a test can say that
 * a daemon restart changed no relay.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PowerState } from '../model/desired.ts';
import { createLabRelay } from './relay.ts';
import type { RelayDriver } from '../relay/types.ts';

export const RELAY_DIR_IN_MASTER = '/run/pirack-lab-relay';
export const RELAY_SOCKET = 'relay.sock';
/** The chip the stand-in reports: a Pi 3/4's, so chip detection runs as on a real master. */
export const SHIM_CHIP = 'gpiochip0';
export const SHIM_CHIP_LABEL = 'pinctrl-bcm2835';
const MAX_REQUEST_BYTES = 4096;

/** The three stand-in tools, each a small Node.js script (the master has Node.js for PiRack anyway). */
export function gpioShimFiles(): { name: string; text: string }[] {
  return ['gpioset', 'gpioget', 'gpiodetect'].map((name) => ({ name, text: shimScript(name) }));
}

function shimScript(tool: string): string {
  return `#!/usr/local/bin/node
// pirack lab: stand-in for libgpiod's ${tool} on the virtual master (src/lab/master-relay.ts).
'use strict';
const http = require('node:http');
const body = JSON.stringify({ tool: ${JSON.stringify(tool)}, args: process.argv.slice(2) });
const req = http.request(
  { socketPath: ${JSON.stringify(`${RELAY_DIR_IN_MASTER}/${RELAY_SOCKET}`)}, path: '/gpio', method: 'POST', timeout: 20000 },
  (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (text += c));
    res.on('end', () => {
      const r = JSON.parse(text);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
  },
);
req.on('timeout', () => req.destroy(new Error('the lab relay did not answer')));
req.on('error', (err) => {
  process.stderr.write(${JSON.stringify(`${tool}: `)} + err.message + '\\n');
  process.exitCode = 1;
});
req.end(body);
`;
}

export interface ShimAnswer {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One level change a `gpioset` made. */
export interface RelaySwitch {
  readonly stack: number;
  readonly power: PowerState;
  readonly at: number;
}

export interface MasterRelayOptions {
  /** The lab dir's master relay directory (masterFiles(dir).relayDir). */
  readonly relayDir: string;
  /** rack.yaml relayPin → stack id, as the master's rack.yaml says. */
  readonly lines: ReadonlyMap<number, number>;
  /** The lab relay that switches the stacks (default: the lab's own). */
  readonly relay?: RelayDriver;
}

export interface MasterRelay {
  /** Every level change, in order. */
  readonly switches: readonly RelaySwitch[];
  /** Resolves when the Pis have followed every change so far. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const ok = (stdout = ''): ShimAnswer => ({ code: 0, stdout, stderr: '' });
const fail = (tool: string, message: string): ShimAnswer => ({ code: 1, stdout: '', stderr: `${tool}: ${message}\n` });

/** Reads `[-l] -c CHIP -t0 LINE=V` (v2 gpioset) or `[-l] --as-is -c CHIP LINE` (v2 gpioget). */
export function parseShimArgs(tool: string, args: readonly string[]): { line: number; value?: 0 | 1 } | string {
  const rest = args.filter((a) => a !== '-l' && a !== '--as-is' && a !== '-t0');
  const c = rest.indexOf('-c');
  if (c < 0 || rest[c + 1] !== SHIM_CHIP) return `expected -c ${SHIM_CHIP}`;
  const operands = rest.filter((_, k) => k !== c && k !== c + 1);
  if (operands.length !== 1) return 'expected one line';
  const [lineText, valueText] = (operands[0] ?? '').split('=');
  if (!/^\d+$/.test(lineText ?? '')) return `not a line offset: ${operands[0]}`;
  if (tool === 'gpioget') return valueText === undefined ? { line: Number(lineText) } : 'gpioget takes no value';
  if (valueText !== '0' && valueText !== '1') return `expected LINE=0 or LINE=1, got ${operands[0]}`;
  return { line: Number(lineText), value: valueText === '1' ? 1 : 0 };
}

export async function startMasterRelay(options: MasterRelayOptions): Promise<MasterRelay> {
  const relay = options.relay ?? createLabRelay();
  const levels = new Map<number, PowerState>();
  const switches: RelaySwitch[] = [];
  let following: Promise<void> = Promise.resolve();

  const levelOf = async (stack: number): Promise<PowerState> => {
    const known = levels.get(stack);
    if (known) return known;
    const read = await relay.read(stack);
    const level = read === 'on' ? 'on' : 'off';
    levels.set(stack, level);
    return level;
  };

  const answer = async (tool: string, args: readonly string[]): Promise<ShimAnswer> => {
    if (args.includes('--version')) return ok(`${tool} (libgpiod) v2.1\n`);
    if (tool === 'gpiodetect') return ok(`${SHIM_CHIP} [${SHIM_CHIP_LABEL}] (54 lines)\n`);
    if (tool !== 'gpioset' && tool !== 'gpioget') return fail(tool, 'not a libgpiod tool');
    const parsed = parseShimArgs(tool, args);
    if (typeof parsed === 'string') return fail(tool, parsed);
    const stack = options.lines.get(parsed.line);
    // An unwired line: a real gpioset drives it and nothing happens; gpioget reads it low.
    if (stack === undefined) return ok(tool === 'gpioget' ? `"${parsed.line}"=inactive\n` : '');
    if (tool === 'gpioget') return ok(`"${parsed.line}"=${(await levelOf(stack)) === 'on' ? 'active' : 'inactive'}\n`);
    const power: PowerState = parsed.value === 1 ? 'on' : 'off';
    if ((await levelOf(stack)) !== power) {
      levels.set(stack, power);
      switches.push({ stack, power, at: Date.now() });
      // The Pis follow the line in order; a failure is logged by the lab relay's error, not lost.
      following = following.then(() =>
        relay.set(stack, power).catch((err: Error) => {
          process.stderr.write(`[lab relay] stack ${stack} ${power}: ${err.message}\n`);
        }),
      );
    }
    return ok();
  };

  const socket = path.join(options.relayDir, RELAY_SOCKET);
  await mkdir(options.relayDir, { recursive: true, mode: 0o700 });
  await rm(socket, { force: true });
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_REQUEST_BYTES) req.destroy();
    });
    req.on('end', () => {
      let request: { tool?: unknown; args?: unknown };
      try {
        request = JSON.parse(body) as typeof request;
      } catch {
        request = {};
      }
      const tool = typeof request.tool === 'string' ? request.tool : '';
      const args = Array.isArray(request.args) ? request.args.filter((a): a is string => typeof a === 'string') : [];
      void answer(tool, args)
        .catch((err: Error) => fail(tool, err.message))
        .then((a) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(a));
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return {
    switches,
    settled: () => following,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await following;
      await rm(socket, { force: true });
    },
  };
}
