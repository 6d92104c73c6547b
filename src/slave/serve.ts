/**
 * `pirack-slave serve`: what the systemd unit runs. By default it opens no port at all: health
 * goes to the master over the watch stream, inside its SSH connection. A local exporter (a
 * Prometheus node agent on the Pi, say) can opt in to an HTTP port bound to loopback only, with
 * `--port N` or PIRACK_SLAVE_PORT=N; a non-loopback `--host` is refused, because these endpoints
 * have no authentication.
 */
import { createServer, type Server } from 'node:http';
import { cpuPercentBetween, readHealth, sampleCpu, toPrometheus, type CpuSample } from './metrics.ts';
import { ThrottleReader } from './throttled.ts';

const SAMPLE_MS = 5_000;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface ServeChoice {
  /** Undefined: no port. */
  readonly port?: number;
  readonly host: string;
}

/** Reads the opt-in port from flags and environment; returns why they are unusable. */
export function serveChoice(args: readonly string[], env: NodeJS.ProcessEnv): ServeChoice | string {
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rawPort = flag('--port') ?? env.PIRACK_SLAVE_PORT;
  const host = flag('--host') ?? env.PIRACK_SLAVE_HOST ?? '127.0.0.1';
  if (!LOOPBACK.has(host))
    return `--host ${host} is not a loopback address; the slave's HTTP port has no authentication, so it only binds 127.0.0.1 or ::1`;
  if (rawPort === undefined || rawPort === '') return { host };
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${JSON.stringify(rawPort)} is not a TCP port (1-65535)`;
  return { port, host };
}

/** Runs until SIGTERM/SIGINT; with a port, serves /healthz, /health and /metrics on loopback. */
export function serve(choice: ServeChoice, log: (line: string) => void): void {
  let server: Server | undefined;
  const stop = (): void => {
    server?.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (choice.port === undefined) {
    log('pirack-slave: no network port (health goes to the master over SSH; opt in to a loopback port with --port or PIRACK_SLAVE_PORT)');
    // Nothing to do but stay up as the unit's main process; the interval keeps the event loop alive.
    setInterval(() => undefined, 1 << 30);
    return;
  }
  let last: CpuSample | undefined;
  let cpuPercent = 0;
  const throttle = new ThrottleReader();
  let throttled: number | null = null;
  const tick = async (): Promise<void> => {
    const now = await sampleCpu();
    if (last) cpuPercent = cpuPercentBetween(last, now);
    last = now;
    throttled = await throttle.read();
  };
  void tick();
  setInterval(() => void tick(), SAMPLE_MS).unref();

  server = createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (req.url === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (req.url === '/health' || req.url === '/metrics') {
      readHealth(cpuPercent, throttled).then(
        (health) =>
          req.url === '/health'
            ? send(200, 'application/json', JSON.stringify(health))
            : send(200, 'text/plain; version=0.0.4', toPrometheus(health)),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.listen(choice.port, choice.host, () => log(`pirack-slave listening on ${choice.host}:${choice.port} (loopback only)`));
}
