import { defineConfig } from 'vitest/config';

// Three projects: unit tests run anywhere in seconds; ui tests drive the dashboard in headless
// Chromium against a fake daemon; e2e tests stand on the virtual rack (root, systemd-nspawn,
// dnsmasq) and run one file at a time, each holding the machine's one lab (src/lab/owner-lock.ts).
// ui and e2e install what a fresh machine lacks first (test/setup/machine.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/setup/packages.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // Property-based suites over hostile input (rack.yaml, the API, probe output):
          // fixed seeds plus one random seed a run, figures in the log (test/fuzz/report.ts).
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          globalSetup: ['test/setup/packages.ts'],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          // The package as a user installs it: `npm run package`, then `npm install -g` of the
          // tarball offline into a temp prefix, then the installed `pirack` (about a minute).
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'ui',
          include: ['test/ui/**/*.test.ts'],
          globalSetup: ['test/setup/machine.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/machine.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
