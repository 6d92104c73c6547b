/**
 * The command line as a few bundled files (step 4 of `npm run build`), so that a CLI call loads
 * a handful of modules instead of hundreds: resolving and loading yaml's ~70 CommonJS files and
 * commander's took about half of `pirack validate`'s start (BENCHMARKS.md, issue 12).
 *
 * esbuild bundles the compiled entry dist/src/cli/bin.js with code splitting: each command that
 * src/cli/main.ts imports lazily stays its own chunk, loaded only when that command runs, and code
 * shared between commands goes to shared chunks. Only BUNDLED packages go inside (pure JavaScript
 * that the CLI's common paths load); the others stay ordinary imports from node_modules, because
 * they load native addons or files beside themselves (ssh2, onoff, pino's transports, ...).
 *
 * Our modules read files beside themselves through `import.meta.url` (the schema validator, the
 * slave bundle, commands.json, the analysis worker, the dashboard). In a bundle that URL would be
 * the chunk's, so each module's `import.meta.url` is rewritten to the URL of its compiled copy in
 * dist/, which the build keeps: every module finds its files where it always did.
 */
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Packages bundled into the chunks; any other bare import stays external. */
export const BUNDLED = new Set(['commander', 'yaml', 'ipaddr.js', 'diff', 'ini', 'csv-parse']);

/** Where `npm run build` writes the bundled command line, under dist/. */
export const BUNDLE_DIR = 'cli';
/** Its entry, relative to dist/: what bin/pirack.mjs and the start-up benchmark run. */
export const BUNDLE_ENTRY = `${BUNDLE_DIR}/pirack.js`;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const bare = (specifier: string): boolean => !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:');

/** Keeps every package outside BUNDLED external. */
const externals: Plugin = {
  name: 'pirack-externals',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (!bare(args.path) || BUNDLED.has(packageName(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** The text a module's `import.meta.url` becomes: its compiled file's URL, from the chunk's. */
export function metaUrlFor(moduleFile: string, outDir: string): string {
  const rel = relative(outDir, moduleFile).split(sep).join('/');
  return `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
}

/** Rewrites `import.meta.url` in our compiled modules (files under dist/, not node_modules). */
function ownMetaUrl(dist: string, outDir: string): Plugin {
  return {
    name: 'pirack-own-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(dist + sep) || args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (/import\.meta\.(?!url\b)\w/.test(text)) throw new Error(`${args.path}: only import.meta.url is rewritten for the bundle`);
        if (!text.includes('import.meta.url')) return undefined;
        return { contents: text.replaceAll('import.meta.url', metaUrlFor(args.path, outDir)), loader: 'js' };
      });
    },
  };
}

/** Bundles dist/src/cli/bin.js into dist/cli/ (pirack.js and its chunks). */
export async function bundleCli(dist: string): Promise<void> {
  const outDir = join(dist, BUNDLE_DIR);
  await build({
    entryPoints: { pirack: join(dist, 'src/cli/bin.js') },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Not minified: it saved no measurable start time, and unminified chunks keep readable stack
    // traces and a `// dist/src/...` comment before each module (the package test reads them).
    keepNames: true,
    legalComments: 'none',
    chunkNames: 'chunk-[hash]',
    // Bundled CommonJS (yaml, commander) calls require() for Node's built-in modules.
    banner: {
      js: "import { createRequire as __pirackCreateRequire } from 'node:module'; const require = __pirackCreateRequire(import.meta.url);",
    },
    plugins: [externals, ownMetaUrl(dist, outDir)],
    logLevel: 'warning',
  });
}
