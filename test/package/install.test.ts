/**
 * The package as a master gets it: `npm run package` (a fresh build, production dependencies
 * bundled), `npm install -g` of that tarball into a temp prefix with `--offline` (nothing from
 * the registry), then the installed `pirack`. It must answer like the sources do, load only what
 * its command needs, and carry what runs and nothing else.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fakeRoot, removeRoot } from '../support/master-root.ts';
import { stateLockHolder } from '../../src/daemon/state-lock.ts';
import { waitUntil } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_BIN = join(ROOT, 'src/cli/pirack.mjs');
const RECORD_IMPORTS = join(ROOT, 'test/support/record-imports.mjs');
const RACK = join(ROOT, 'rack.yaml');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd: ROOT, env: { ...process.env, PIRACK_LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 200_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

let tmp: string;
let tarball: string;
let installed: string;
let install: Run;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pirack-package-'));
  const packed = await run(process.execPath, [
    join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
    join(ROOT, 'scripts/pack.ts'),
    '--destination',
    tmp,
  ]);
  if (packed.code !== 0) throw new Error(`npm run package failed:\n${packed.stderr}`);
  tarball = packed.stdout.trim().split('\n').at(-1)!;
  const prefix = join(tmp, 'prefix');
  install = await run('npm', ['install', '-g', tarball, '--prefix', prefix, '--offline', '--no-audit', '--no-fund']);
  installed = join(prefix, 'bin/pirack');
}, 480_000); // pack and a native build (epoll, fs-ext, cpu-features) take minutes on a loaded 2-core machine

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Module URLs a run of the installed pirack resolved (test/support/record-imports.mjs). */
async function importsOf(args: readonly string[]): Promise<string[]> {
  const file = join(tmp, `imports-${args.join('-').replace(/[^a-z-]/g, '')}.txt`);
  await writeFile(file, '');
  const r = await run(process.execPath, ['--import', RECORD_IMPORTS, installed, ...args], { PIRACK_RECORD_IMPORTS: file });
  expect(r.code, r.stderr).toBeLessThanOrEqual(1);
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
}

/** The modules inside the chunks a run loaded, from the `// path` line esbuild writes before each. */
async function bundledModules(urls: readonly string[]): Promise<string[]> {
  const chunks = [...new Set(urls.filter((u) => /\/dist\/cli\/[^/]+\.js$/.test(u)))];
  const texts = await Promise.all(chunks.map((u) => readFile(fileURLToPath(u), 'utf8')));
  return texts.flatMap((t) => [...t.matchAll(/^\/\/ (\S+\.[cm]?js)$/gm)].map((m) => m[1]!));
}

describe('the packed and installed pirack', () => {
  it('installs offline, without engine warnings', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/EBADENGINE/);
  });

  it('ships what runs: dist/, the bin, the schema, docs; not the tests, the sources, rack.yaml or dev tools', async () => {
    const r = await run('tar', ['tzf', tarball]);
    const files = r.stdout.split('\n').map((f) => f.replace(/^package\//, ''));
    for (const wanted of [
      'bin/pirack.mjs',
      'dist/cli/pirack.js',
      'dist/src/cli/bin.js',
      'dist/src/cli/commands.json',
      'dist/src/slave/pirack-slave.cjs',
      'dist/src/config/rack-validate.cjs',
      'dist/src/http/dashboard/index.html',
      'dist/src/deps/host-tools.txt',
      'schemas/rack.schema.json',
      'dist/schemas/rack.schema.json',
      'README.md',
      'node_modules/fastify/package.json',
    ])
      expect(files, wanted).toContain(wanted);
    const own = files.filter((f) => !f.startsWith('node_modules/'));
    expect(own.filter((f) => /^(test|src|scripts)\//.test(f) || f === 'rack.yaml' || f.endsWith('.ts'))).toEqual([]);
    expect(files.filter((f) => /^node_modules\/(tsx|esbuild|typescript|vitest|@esbuild)\//.test(f))).toEqual([]);
  });

  it('prints the same help as the sources', async () => {
    const [fromDist, fromSource] = await Promise.all([run(installed, ['--help']), run(process.execPath, [SOURCE_BIN, '--help'])]);
    expect(fromDist.code).toBe(0);
    expect(fromDist.stdout).toContain('validate [options]');
    expect(fromDist.stdout).toBe(fromSource.stdout);
    const sub = await run(installed, ['help', 'validate']);
    expect(sub.stdout).toContain('--rack');
  });

  it('validates a rack like the sources, with the same revision (the same slave bundle)', async () => {
    const [fromDist, fromSource] = await Promise.all([
      run(installed, ['validate', '--rack', RACK]),
      run(process.execPath, [SOURCE_BIN, 'validate', '--rack', RACK]),
    ]);
    expect(fromDist.code, fromDist.stderr).toBe(0);
    expect(fromDist.stdout).toMatch(/ok \(4 stacks, 48 Pis, revision sha256:[0-9a-f]+\)/);
    expect(fromDist.stdout).toBe(fromSource.stdout);
  });

  it('rejects a broken rack with the same messages as the sources (the generated validator agrees)', async () => {
    const broken = join(tmp, 'broken.yaml');
    const text = (await readFile(RACK, 'utf8')).replace(/^apiVersion: .*$/m, 'apiVersion: pirack/v9\nfrobnicate: 1');
    await writeFile(broken, text);
    const [fromDist, fromSource] = await Promise.all([
      run(installed, ['validate', '--rack', broken]),
      run(process.execPath, [SOURCE_BIN, 'validate', '--rack', broken]),
    ]);
    expect(fromDist.code).toBe(1);
    expect(fromDist.stdout).toMatch(/apiVersion/);
    expect(fromDist.stdout).toMatch(/frobnicate/);
    expect(fromDist.stdout).toBe(fromSource.stdout);
  });

  it('loads a few bundled files: no lab, bench, fastify or ssh2 for --help, and no ajv compiler or esbuild for validate', async () => {
    const heavy = /(^|\/)dist\/src\/lab\/|(^|\/)dist\/bench\/|(^|\/)node_modules\/(fastify|ssh2|pino)\//;
    const help = await importsOf(['--help']);
    expect(help.some((u) => u.endsWith('/dist/cli/pirack.js'))).toBe(true);
    const helpModules = await bundledModules(help);
    expect(helpModules.some((m) => m.endsWith('dist/src/cli/main.js'))).toBe(true);
    expect([...help, ...helpModules].filter((u) => heavy.test(u))).toEqual([]);
    const validate = await importsOf(['validate', '--rack', RACK]);
    const validateModules = await bundledModules(validate);
    expect(validateModules.some((m) => m.endsWith('dist/src/config/rack-validator.js'))).toBe(true);
    expect(
      [...validate, ...validateModules].filter((u) => heavy.test(u) || /node_modules\/(esbuild|tsx)\/|\/ajv\/dist\/(core|ajv)\.js/.test(u)),
    ).toEqual([]);
    // The chunks of dist/cli/, not the hundred-odd files of dist/src/ and yaml.
    expect(validate.filter((u) => u.includes('/dist/src/'))).toEqual([]);
  });

  it('master install runs from the package (the unit names the installed bin), and its daemon holds the state dir lock', async () => {
    const root = fakeRoot({ model: undefined });
    try {
      const r = await run(installed, ['master', 'install', '--root', root, '--interface', 'eth0', '--force']);
      expect(r.code, r.stderr).toBe(0);
      const unit = await readFile(join(root, 'etc/systemd/system/pirack.service'), 'utf8');
      expect(unit).toContain(`ExecStart="${process.execPath}" "${join(tmp, 'prefix/lib/node_modules/pirack/bin/pirack.mjs')}" "daemon"`);

      // fs-ext's flock, built by the install: a second daemon of the package refuses the first's state dir.
      const stateDir = join(root, 'var/lib/pirack');
      const rack = join(root, 'not-a-rack.yaml');
      await writeFile(rack, 'not: [a rack\n');
      const first = spawn(installed, ['daemon', '--no-http', '--rack', rack, '--state-dir', stateDir], { stdio: 'ignore' });
      try {
        await waitUntil('the packaged daemon to hold the lock', 30_000, () => (stateLockHolder(stateDir) === first.pid ? true : undefined));
        const second = await run(installed, ['daemon', '--no-http', '--rack', rack, '--state-dir', stateDir]);
        expect(second.code).toBe(2);
        expect(second.stderr).toContain(`(pid ${first.pid}) holds the lock`);
      } finally {
        first.kill('SIGTERM');
      }
    } finally {
      removeRoot(root);
    }
  });
});
