/**
 * The lab's image and apt repository, built once by mmdebstrap and cached by recipe hash. The
 * build goes to a temporary directory that is renamed into place only when complete, so a crash
 * never leaves a half image that looks cached.
 */
import { mkdir, readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pirackError } from '../errors.ts';
import { indexRepo } from './apt-repo.ts';
import { hostExec, type Exec } from './exec.ts';
import { cacheDir as defaultCacheDir } from './paths.ts';
import { defaultRecipe, mirrorFromSources, recipeHash, type Recipe } from './recipe.ts';

export interface ImageOptions {
  readonly cacheDir?: string;
  readonly recipe?: Recipe;
  readonly exec?: Exec;
  /** Progress lines for people (steps with seconds). */
  readonly progress?: (line: string) => void;
  /** Rebuild even if cached. */
  readonly force?: boolean;
}

export interface LabImage {
  readonly hash: string;
  /** Root filesystem: the lower layer of every Pi's overlay. */
  readonly imageDir: string;
  /** Flat apt repository (Packages, Packages.gz and the .debs). */
  readonly repoDir: string;
  readonly built: boolean;
  readonly seconds: number;
}

export function imagePaths(cache: string, hash: string) {
  return { imageDir: path.join(cache, `image-${hash}`), repoDir: path.join(cache, `repo-${hash}`) } as const;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function hostMirror(): Promise<string> {
  const text = await readFile('/etc/apt/sources.list.d/debian.sources', 'utf8').catch(() => '');
  return mirrorFromSources(text);
}

/** Returns the cached image for the recipe, building it first when absent. */
export async function ensureImage(options: ImageOptions = {}): Promise<LabImage> {
  const cache = options.cacheDir ?? defaultCacheDir();
  const exec = options.exec ?? hostExec;
  const progress = options.progress ?? (() => {});
  const recipe = options.recipe ?? defaultRecipe(await hostMirror());
  const hash = recipeHash(recipe);
  const { imageDir, repoDir } = imagePaths(cache, hash);
  // The image is renamed last, so its presence means both are complete.
  if (!options.force && (await exists(path.join(imageDir, 'etc/os-release'))) && (await exists(path.join(repoDir, 'Packages.gz')))) {
    return { hash, imageDir, repoDir, built: false, seconds: 0 };
  }

  const started = Date.now();
  const secs = (): string => ((Date.now() - started) / 1000).toFixed(1);
  await mkdir(cache, { recursive: true });
  const tmp = path.join(cache, `tmp-${hash}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const tmpRoot = path.join(tmp, 'root');
  const tmpRepo = path.join(tmp, 'repo');
  const hook = path.join(tmp, 'customize.sh');
  await writeFile(hook, recipe.customize, { mode: 0o755 });

  progress(`image ${hash}: not cached, building with mmdebstrap (${recipe.suite}, ${recipe.mirror})`);
  const args = [
    '--mode=root',
    '--variant=apt',
    '--format=directory',
    `--include=${recipe.packages.join(',')}`,
    `--customize-hook=sh ${hook} "$1" ${tmpRepo}`,
    recipe.suite,
    tmpRoot,
    `deb ${recipe.mirror} ${recipe.suite} main`,
  ];
  const built = await exec('mmdebstrap', args, {
    timeoutMs: 30 * 60_000,
    onStderrLine: (line) => {
      if (/^[IWE]: /.test(line)) progress(`  [${secs()}s] ${line}`);
    },
  });
  if (built.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw pirackError(
      'PIRACK_ERR_LAB',
      `mmdebstrap failed (exit ${built.code}): ${built.stderr.trim().split('\n').slice(-4).join(' | ')}`,
      {
        where: 'lab image',
      },
    );
  }
  progress(`  [${secs()}s] indexing the apt repository`);
  await indexRepo(tmpRepo, exec);
  const debs = (await readdir(tmpRepo)).filter((f) => f.endsWith('.deb')).length;

  await rm(repoDir, { recursive: true, force: true });
  await rename(tmpRepo, repoDir);
  await rm(imageDir, { recursive: true, force: true });
  await rename(tmpRoot, imageDir);
  await rm(tmp, { recursive: true, force: true });
  const seconds = (Date.now() - started) / 1000;
  progress(`image ${hash}: built in ${seconds.toFixed(1)}s (repository: ${debs} packages)`);
  return { hash, imageDir, repoDir, built: true, seconds };
}
