/**
 * pirack-slave: the small agent every Pi runs (bundled to one file by esbuild, run by the Pi's
 * Node.js). The master runs it over its SSH connection:
 *   node pirack-slave.js watch                 the watch stream (see ./watch.ts, ./protocol.ts)
 *   node pirack-slave.js cpu | temperature | health | version
 * and the Pi's systemd unit runs `serve`, which opens no port unless asked for a loopback one:
 *   node pirack-slave.js serve [--port N] [--host 127.0.0.1]   (or PIRACK_SLAVE_PORT=N)
 * It replaces the original's UDP slave, which had no authentication and ran shell commands it was
 * sent; this one only reports, and everything that changes a Pi goes through SSH.
 */
import { cpuPercentBetween, readHealth, readTemperature, sampleCpu } from './metrics.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import { serve, serveChoice } from './serve.ts';
import { ThrottleReader } from './throttled.ts';
import { runWatch } from './watch.ts';

async function measureCpuOnce(): Promise<number> {
  const a = await sampleCpu();
  await new Promise((resolve) => setTimeout(resolve, 250));
  return cpuPercentBetween(a, await sampleCpu());
}

async function main(args: string[]): Promise<number> {
  const [command = 'serve'] = args;
  switch (command) {
    case 'serve': {
      const choice = serveChoice(args.slice(1), process.env);
      if (typeof choice === 'string') {
        console.error(`pirack-slave: ${choice}`);
        return 2;
      }
      serve(choice, (line) => console.log(line));
      return 0;
    }
    case 'watch':
      // A closed stdout (the master went away) ends the stream like a closed stdin.
      process.stdout.on('error', () => process.exit(0));
      await runWatch({
        input: process.stdin,
        write: (line) => process.stdout.write(line),
        log: (m) => process.stderr.write(`pirack-slave watch: ${m}\n`),
      });
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
      console.log(JSON.stringify(await readHealth(await measureCpuOnce(), await new ThrottleReader().read())));
      return 0;
    case 'version':
      console.log(`pirack-slave protocol ${PROTOCOL_VERSION}`);
      return 0;
    default:
      console.error(`pirack-slave: unknown command "${command}"; use serve, watch, cpu, temperature, health or version`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // watch returns once stdin closed: exit even if a watcher handle lingers.
    if (code !== 0 || args0() === 'watch') process.exit(code);
  },
  (err: Error) => {
    console.error(`pirack-slave: ${err.message}`);
    process.exit(1);
  },
);

function args0(): string | undefined {
  return process.argv[2];
}
