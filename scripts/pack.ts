/**
 * `npm run package [-- --destination DIR]`: the tarball to install on a master,
 * pirack-<version>.tgz, with its production dependencies bundled (bundleDependencies), exactly the
 * versions of package-lock.json that the tests ran. So `npm install -g pirack-<version>.tgz`
 * needs no registry (an isolated master, a container) and gets cookie@1 (package.json's
 * `overrides`, which npm applies only to the project's own install; cookie@2 wants Node.js 22).
 *
 * bundleDependencies is set only in a staging copy: in the project's own package.json it makes
 * `npm ci` take minutes. The staging dir gets a fresh build (scripts/build.ts --out-dir), the
 * `files` of package.json and hard links to the production packages in ./node_modules, so ./dist
 * is left alone.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
  bundleDependencies?: string[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const destFlag = process.argv.indexOf('--destination');
const destination = resolve(destFlag > 0 && process.argv[destFlag + 1] ? process.argv[destFlag + 1]! : ROOT);

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`package: \`${command} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

mkdirSync(destination, { recursive: true });
// Inside the project (ignored by git), so hard links to node_modules stay on one file system.
const stage = mkdtempSync(join(ROOT, '.pack-stage-'));
try {
  run(
    process.execPath,
    [
      fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url)),
      join(ROOT, 'scripts/build.ts'),
      '--out-dir',
      join(stage, 'dist'),
    ],
    ROOT,
  );
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  for (const entry of pkg.files) if (entry !== 'dist/') cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  pkg.bundleDependencies = Object.keys(pkg.dependencies);
  delete pkg.scripts['prepack']; // already built above
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  // Production packages of the lock, as installed here, hard-linked (a symlinked node_modules
  // would be packed under its real path). Nested node_modules come along with their parent.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const production = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !p.dev && existsSync(join(ROOT, path)))
    .map(([path]) => path);
  for (const path of production.filter((p) => !production.some((parent) => p.startsWith(`${parent}/node_modules/`)))) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    run('cp', ['-al', join(ROOT, path), join(stage, path)], ROOT);
  }
  run('npm', ['pack', '--ignore-scripts', '--loglevel=warn', '--pack-destination', destination], stage);
  process.stdout.write(`${join(destination, `pirack-${pkg.version}.tgz`)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
