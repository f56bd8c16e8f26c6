/**
 * Bundles every `functions/<name>/index.ts` into `dist/<name>/`: CommonJS for the FC 3.0 nodejs20
 * runtime, minified, with a source map, nothing left external. The function is `app.js`; FC's handler
 * `index.handler` is a small entry, `index.js`, that runs it with the V8 code cache `app.cache` a
 * training run writes beside it (`shared/fc/code-cache.ts`, `scripts/code-cache/train.ts`). Run with
 * `npm run build`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_FILE } from '../shared/fc/code-cache';
import { ARTIFACTS_PAGE_FILE, buildArtifactsPage } from './artifacts-page';
import { codeCacheVersionWarning, writeCodeCaches } from './code-cache/train';

/**
 * Packages a cold start should not parse: SDKs that cost tens of milliseconds to load (ali-oss drags in
 * 500 KB of encoding tables), and code only a rare request runs. The pack reaches them only from modules
 * it imports with `await import(...)`, and the build puts each in its own file beside the function
 * bundle, so it is read when a request first needs it.
 */
export const SIDE_BUNDLED_SDKS = [
  // Only `GET /openapi.json` uses it: 13 KB that every other cold start of presign-api would parse.
  '@valibot/to-json-schema',
  'ali-oss',
  '@alicloud/fc20230330',
  '@alicloud/openapi-core',
  '@darabonba/typescript',
] as const;

function sideBundleFile(sdk: string): string {
  return `sdk/${sdk.replace(/^@/, '').replace(/\//g, '-')}.js`;
}

/** Marks the SDKs external (as `./sdk/<name>.js`) and records which ones the function uses. */
function sideBundles(used: Set<string>): Plugin {
  return {
    name: 'side-bundled-sdks',
    setup(b) {
      const filter = new RegExp(`^(${SIDE_BUNDLED_SDKS.map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})$`);
      b.onResolve({ filter }, (args) => {
        // Only the pack's own imports are redirected; an SDK's internal requires stay inside its side bundle.
        if (args.importer.includes('/node_modules/')) return undefined;
        used.add(args.path);
        return { path: `./${sideBundleFile(args.path)}`, external: true };
      });
    },
  };
}

/** Gives yauzl a zlib that loads on first use (`scripts/build-stubs/lazy-zlib.cjs`). */
function lazyZlibForYauzl(): Plugin {
  return {
    name: 'lazy-zlib-for-yauzl',
    setup(b) {
      b.onResolve({ filter: /^zlib$/ }, (args) =>
        /[\\/]node_modules[\\/]yauzl[\\/]/.test(args.importer)
          ? { path: join(ROOT, 'scripts/build-stubs/lazy-zlib.cjs') }
          : undefined,
      );
    },
  };
}

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FUNCTIONS_DIR = join(ROOT, 'functions');
export const DIST_DIR = join(ROOT, 'dist');

export interface BundleResult {
  name: string;
  /** The entry FC loads (`index.js`). */
  file: string;
  /** Size of the function's bundle (`app.js`). */
  bytes: number;
  gzipBytes: number;
  /** Size of its code cache (`app.cache`); 0 when none was written. */
  codeCacheBytes: number;
  /** Why its code cache could not be written (the function works without it). */
  codeCacheProblem?: string;
  ms: number;
}

/** Names of the functions in `functions/`, each a folder with an `index.ts`. */
export function functionNames(): string[] {
  if (!existsSync(FUNCTIONS_DIR)) return [];
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FUNCTIONS_DIR, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * Bundles one entry file into `<outDir>/app.js`, behind the entry `<outDir>/index.js`, with the same
 * settings as the deployed functions; no code cache (`buildFunctions` trains those). Tests use it for
 * fixture functions, so the local runtime always loads real bundles.
 */
export async function bundleFunction(
  name: string,
  entry: string,
  outDir: string,
  options: { sideBundles?: boolean; workers?: readonly string[] } = {},
): Promise<BundleResult> {
  const started = performance.now();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'index.js');
  const app = join(outDir, BUNDLE_FILE);
  const used = new Set<string>();
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // `import()` of a builtin or a side bundle becomes `require`: a real dynamic import starts Node's ESM
    // loader inside the first request that needs it, several ms of the cold path for nothing.
    supported: { 'dynamic-import': false },
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    alias: { 'proxy-agent': join(ROOT, 'scripts/build-stubs/proxy-agent.cjs') },
  } as const;
  // Worker threads of the function (`<name>.ts` beside its entry), each bundled beside `index.js`.
  for (const worker of options.workers ?? []) {
    await build({
      ...common,
      entryPoints: [join(dirname(entry), `${worker}.ts`)],
      outfile: join(outDir, `${worker}.js`),
      banner: { js: '"use strict";' },
    });
  }
  const result = await build({
    ...common,
    entryPoints: [entry],
    outfile: app,
    plugins: [lazyZlibForYauzl(), ...(options.sideBundles === false ? [] : [sideBundles(used)])],
    banner: { js: '"use strict";' },
    define: { __PACK_VERSION__: JSON.stringify(packageVersion()) },
  });
  for (const sdk of used) {
    await build({
      ...common,
      stdin: { contents: `module.exports = require(${JSON.stringify(sdk)});`, resolveDir: ROOT, loader: 'js' },
      outfile: join(outDir, sideBundleFile(sdk)),
    });
  }
  // The entry FC loads: compiled from source at every cold start, so it is only the loader.
  await build({
    ...common,
    sourcemap: false,
    metafile: false,
    stdin: {
      contents: `require(${JSON.stringify(join(ROOT, 'shared/fc/code-cache.ts'))}).runBundle(__dirname, module, require);`,
      resolveDir: ROOT,
      loader: 'js',
    },
    outfile: file,
  });
  await writeFile(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
  // Beside the function folder, not in it: the folder is what gets deployed.
  const metaDir = join(dirname(outDir), '.meta');
  await mkdir(metaDir, { recursive: true });
  await writeFile(join(metaDir, `${name}.json`), JSON.stringify(result.metafile));
  const bytes = (await stat(app)).size;
  const gzipBytes = gzipSync(await readFile(app)).length;
  return { name, file, bytes, gzipBytes, codeCacheBytes: 0, ms: performance.now() - started };
}

/** Builds the named functions (all by default) into `<outRoot>/<name>/` (default `dist/`). */
export async function buildFunctions(
  names: string[] = functionNames(),
  outRoot: string = DIST_DIR,
): Promise<BundleResult[]> {
  const unknown = names.filter((n) => !existsSync(join(FUNCTIONS_DIR, n, 'index.ts')));
  if (unknown.length > 0)
    throw new Error(`No such function: ${unknown.join(', ')} (looked for functions/<name>/index.ts)`);
  const results = await Promise.all(
    names.map(async (n) => {
      const result = await bundleFunction(n, join(FUNCTIONS_DIR, n, 'index.ts'), join(outRoot, n), {
        workers: FUNCTION_WORKERS[n] ?? [],
      });
      for (const [file, make] of Object.entries(FUNCTION_ASSETS[n] ?? {})) {
        await mkdir(dirname(join(outRoot, n, file)), { recursive: true });
        await writeFile(join(outRoot, n, file), await make());
      }
      return result;
    }),
  );
  for (const cache of await writeCodeCaches(outRoot, names)) {
    const result = results.find((r) => r.name === cache.name) as BundleResult;
    result.codeCacheBytes = cache.bytes;
    result.ms += cache.ms;
    if (cache.problem) result.codeCacheProblem = cache.problem;
  }
  return results;
}

/** Worker-thread entries of a function, `functions/<name>/<worker>.ts`, bundled as `<worker>.js`. */
const FUNCTION_WORKERS: Record<string, readonly string[]> = {
  'log-shipper': ['intake-worker'],
};

/** Files a function reads beside its bundle, built with it: kept out of the bundle so cold starts never parse them. */
const FUNCTION_ASSETS: Record<string, Record<string, () => Promise<string>>> = {
  'presign-api': { [ARTIFACTS_PAGE_FILE]: () => buildArtifactsPage(ROOT) },
};

/** What to tell whoever builds or deploys about the code caches: a node of another version, a failed training. */
export function codeCacheWarnings(results: readonly BundleResult[]): string[] {
  const version = codeCacheVersionWarning();
  return [
    ...(version ? [version] : []),
    ...results.flatMap((r) =>
      r.codeCacheProblem
        ? [`${r.name} has no code cache, so its cold starts compile the bundle: ${r.codeCacheProblem}`]
        : [],
    ),
  ];
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const results = await buildFunctions(names.length > 0 ? names : undefined);
  if (results.length === 0) {
    console.log('No functions to build (functions/<name>/index.ts).');
    return;
  }
  for (const warning of codeCacheWarnings(results)) console.warn(`warning: ${warning}`);
  console.log(
    `${'function'.padEnd(20)} ${'bundle'.padStart(12)} ${'gzip'.padStart(12)} ${'code cache'.padStart(12)} ${'time'.padStart(8)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(20)} ${kib(r.bytes).padStart(12)} ${kib(r.gzipBytes).padStart(12)} ${kib(r.codeCacheBytes).padStart(12)} ${`${r.ms.toFixed(0)} ms`.padStart(8)}  ${relative(ROOT, r.file)}`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
