/**
 * The import layers of PiRack (dependency-cruiser). Run by test/unit/layers.test.ts and by
 * `npm run depcruise`. src/ never imports bench/; nothing outside src/lab/ imports the virtual
 * rack except its relay driver (and the CLI's `lab` and `demo` commands, which are the lab's own
 * entry points); no import cycles anywhere.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes the load order matter and the layers meaningless.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-bench',
      severity: 'error',
      comment: 'The daemon and the CLI do not depend on the benchmarks; only `pirack bench` runs them.',
      from: { path: '^(src|controllers)/', pathNot: '^src/cli/commands/bench\\.ts$' },
      to: { path: '^bench/' },
    },
    {
      name: 'src-not-lab',
      severity: 'error',
      comment: 'The virtual rack is test, demo and bench equipment: only its relay driver is wired into the daemon.',
      from: { path: '^(src|controllers)/', pathNot: '^src/lab/|^src/cli/main\\.ts$|^src/cli/commands/(demo|bench)\\.ts$' },
      to: { path: '^src/lab/', pathNot: '^src/lab/relay\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
