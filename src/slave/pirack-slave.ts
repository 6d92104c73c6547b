/**
 * pirack-slave: the small agent every Pi runs under systemd (bundled to one file by esbuild, run
 * by the Pi's Node.js). It serves health and metrics over HTTP and answers the original's actions
 * from the command line, which the master runs over SSH:
 *   node pirack-slave.js serve [--port 1026] [--host 0.0.0.0]
 *   node pirack-slave.js cpu | temperature | health
 * It replaces the original's UDP slave, which had no authentication and ran shell commands it was
 * sent; this one only reports, and everything that changes a Pi goes through SSH.
 */
import { createServer } from 'node:http';
import { cpuPercentBetween, readHealth, readTemperature, sampleCpu, toPrometheus, type CpuSample } from './metrics.ts';

const SAMPLE_MS = 5_000;

async function measureCpuOnce(): Promise<number> {
  const a = await sampleCpu();
  await new Promise((resolve) => setTimeout(resolve, 250));
  return cpuPercentBetween(a, await sampleCpu());
}

function serve(port: number, host: string): void {
  let last: CpuSample | undefined;
  let cpuPercent = 0;
  const tick = async (): Promise<void> => {
    const now = await sampleCpu();
    if (last) cpuPercent = cpuPercentBetween(last, now);
    last = now;
  };
  void tick();
  setInterval(() => void tick(), SAMPLE_MS).unref();

  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if (req.url === '/healthz') return send(200, 'text/plain', 'ok\n');
    if (req.url === '/health' || req.url === '/metrics') {
      readHealth(cpuPercent).then(
        (health) => (req.url === '/health' ? send(200, 'application/json', JSON.stringify(health)) : send(200, 'text/plain; version=0.0.4', toPrometheus(health))),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found\n');
  });
  server.listen(port, host, () => console.log(`pirack-slave listening on ${host}:${port}`));
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

async function main(args: string[]): Promise<number> {
  const [command = 'serve'] = args;
  switch (command) {
    case 'serve':
      serve(Number(option(args, '--port', '1026')), option(args, '--host', '0.0.0.0'));
      return 0;
    case 'cpu':
      console.log(`${await measureCpuOnce()}`);
      return 0;
    case 'temperature': {
      const t = await readTemperature();
      console.log(t === null ? 'unavailable' : `${t}`);
      return 0;
    }
    case 'health':
      console.log(JSON.stringify(await readHealth(await measureCpuOnce())));
      return 0;
    default:
      console.error(`pirack-slave: unknown command "${command}"; use serve, cpu, temperature or health`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exit(code);
}, (err: Error) => {
  console.error(`pirack-slave: ${err.message}`);
  process.exit(1);
});
