// Preloaded with `node --import` by the start-up scenario: at exit, the process's own peak
// resident memory (getrusage ru_maxrss, kB) and CPU time (user + system, µs) go, as JSON, to the
// file PIRACK_BENCH_RSS_FILE names. CPU time says what wall time means on a loaded machine.
import { writeFileSync } from 'node:fs';

const file = process.env.PIRACK_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
  });
}
