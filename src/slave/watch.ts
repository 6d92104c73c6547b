/**
 * `pirack-slave watch`: the Pi's end of the watch stream (protocol in ./protocol.ts). It runs on
 * an exec channel the master holds open, reads watch specs from stdin, and writes a heartbeat
 * with live health about once a second plus a change notice whenever something managed may have
 * changed. It only reads: nothing here changes the Pi. It exits when stdin closes (the master or
 * its connection went away), so no orphan keeps watching.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Coalescer } from './coalesce.ts';
import { FileWatches, type WatchTarget } from './file-watch.ts';
import { LineSplitter } from './lines.ts';
import { cpuPercentBetween, liveHealth, readHealth, sampleCpu, type CpuSample } from './metrics.ts';
import { MAX_LINE_BYTES, PROTOCOL_VERSION, type ChangeWhat, type SlaveLine, type WatchSpec } from './protocol.ts';
import { ThrottleReader } from './throttled.ts';
import { unitWatchSupport, watchUnits, type UnitWatch } from './unit-watch.ts';

export const DPKG_STATUS = '/var/lib/dpkg/status';

export interface WatchOptions {
  readonly input: Readable;
  readonly write: (line: string) => void;
  /** One line for a person (stderr): why something is not watched. */
  readonly log: (message: string) => void;
  readonly heartbeatMs?: number;
  /** Coalescing window per watched thing. */
  readonly coalesceMs?: number;
  /** Throttle flags are read every this many heartbeats (a fork each time). */
  readonly throttleEvery?: number;
  readonly passwd?: string;
}

/** Checks a spec line from the master; returns why it is not one. */
export function parseSpec(value: unknown): WatchSpec | string {
  if (!value || typeof value !== 'object') return 'not an object';
  const v = value as Record<string, unknown>;
  const strings = (k: string): string[] | undefined =>
    Array.isArray(v[k]) && (v[k] as unknown[]).every((x) => typeof x === 'string') ? (v[k] as string[]) : undefined;
  if (v.type !== 'spec') return `type is ${JSON.stringify(v.type)}, not "spec"`;
  if (typeof v.revision !== 'string') return 'revision is not a string';
  const files = strings('files');
  const packages = strings('packages');
  const units = strings('units');
  if (!files || !packages || !units) return 'files, packages and units must be arrays of strings';
  const bad = files.find((f) => !f.startsWith('/'));
  if (bad !== undefined) return `file path ${JSON.stringify(bad)} is not absolute`;
  if (v.authorizedKeysUser !== undefined && typeof v.authorizedKeysUser !== 'string') return 'authorizedKeysUser is not a string';
  return {
    revision: v.revision,
    files,
    packages,
    units,
    ...(typeof v.authorizedKeysUser === 'string' ? { authorizedKeysUser: v.authorizedKeysUser } : {}),
  };
}

/** The home directory of `user` from /etc/passwd text. */
export function homeOf(passwd: string, user: string): string | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[5]) return f[5];
  }
  return undefined;
}

/** The file targets of a spec: managed files, authorized_keys, the dpkg database. */
export function targetsOf(spec: WatchSpec, home: string | undefined): WatchTarget[] {
  const targets: WatchTarget[] = spec.files.map((path) => ({ path, key: `file\u0000${path}` }));
  if (home) {
    const keys = `${home.replace(/\/$/, '')}/.ssh/authorized_keys`;
    targets.push({ path: keys, key: `keys\u0000${keys}` });
  }
  if (spec.packages.length > 0) targets.push({ path: DPKG_STATUS, key: 'packages\u0000dpkg-status' });
  return targets;
}

/** Runs until `input` ends; resolves then, with every watch closed. */
export function runWatch(options: WatchOptions): Promise<void> {
  const send = (line: SlaveLine): void => options.write(`${JSON.stringify(line)}\n`);
  const units = unitWatchSupport();
  send({ type: 'hello', protocol: PROTOCOL_VERSION, slave: 'pirack-slave', node: process.version, units });

  const coalescer = new Coalescer(options.coalesceMs ?? 500, (key, count) => {
    const [what, detail] = key.split('\u0000') as [ChangeWhat, string];
    send({ type: 'change', what, detail, count });
  });
  const files = new FileWatches((key) => coalescer.note(key));
  let unitWatch: UnitWatch | undefined;

  const apply = async (spec: WatchSpec): Promise<void> => {
    const problems: string[] = [];
    let home: string | undefined;
    if (spec.authorizedKeysUser) {
      const passwd = options.passwd ?? (await readFile('/etc/passwd', 'utf8').catch(() => ''));
      home = homeOf(passwd, spec.authorizedKeysUser);
      if (!home) problems.push(`authorized_keys: no home directory for user ${spec.authorizedKeysUser}`);
    }
    problems.push(...files.set(targetsOf(spec, home)));
    unitWatch?.close();
    unitWatch = undefined;
    if (spec.units.length > 0) {
      if (units !== 'dbus') problems.push(`units: ${units}`);
      else {
        unitWatch = watchUnits(
          spec.units,
          (unit) => coalescer.note(`unit\u0000${unit}`),
          (why) => {
            options.log(`units are not watched: ${why}`);
            send({ type: 'watching', revision: spec.revision, problems: [`units: ${why}`] });
          },
        );
      }
    }
    for (const p of problems) options.log(`not watched: ${p}`);
    send({ type: 'watching', revision: spec.revision, problems });
  };

  // Specs are applied one after another, so a quick second spec cannot interleave with the first.
  let applying = Promise.resolve();
  const splitter = new LineSplitter(
    MAX_LINE_BYTES,
    (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        options.log(`ignored a line from the master that is not JSON (${line.length} characters)`);
        return;
      }
      const spec = parseSpec(parsed);
      if (typeof spec === 'string') {
        options.log(`ignored a spec from the master: ${spec}`);
        return;
      }
      applying = applying.then(() => apply(spec)).catch((err: Error) => options.log(`spec not applied: ${err.message}`));
    },
    (bytes) => options.log(`ignored a line from the master over ${MAX_LINE_BYTES} bytes (${bytes} bytes)`),
  );

  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const throttleEvery = options.throttleEvery ?? 5;
  const throttle = new ThrottleReader();
  let seq = 0;
  let last: CpuSample | undefined;
  let throttled: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const beat = async (): Promise<void> => {
    const now = await sampleCpu();
    const cpu = last ? cpuPercentBetween(last, now) : 0;
    last = now;
    if (seq % throttleEvery === 0) throttled = await throttle.read();
    const health = liveHealth(await readHealth(cpu, throttled));
    seq += 1;
    if (!stopped) send({ type: 'heartbeat', seq, health });
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      beat().then(schedule, (err: Error) => {
        options.log(`heartbeat failed: ${err.message}`);
        schedule();
      });
    }, heartbeatMs);
  };
  // The first heartbeat goes out at once (CPU 0 until there are two samples), so the master sees
  // health without waiting a second.
  void beat().then(schedule, (err: Error) => {
    options.log(`heartbeat failed: ${err.message}`);
    schedule();
  });

  return new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      coalescer.close();
      files.close();
      unitWatch?.close();
      resolve();
    };
    options.input.on('data', (chunk: Buffer) => splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    options.input.on('end', () => {
      splitter.end();
      stop();
    });
    options.input.on('close', stop);
    options.input.on('error', stop);
  });
}
