/**
 * A function's entry: loads its bundle with the V8 code cache the build wrote beside it, so a cold start
 * deserializes the bytecode of everything a first request runs instead of compiling it
 * (docs/fc-runtime.md §8).
 *
 * The deployed folder holds `index.js` (this module, small enough that compiling it costs nothing),
 * `app.js` (the function) and `app.cache`. The cache is only ever an accelerator: one that is not exactly
 * what the build wrote for this `app.js` (its header is the SHA-256 of both) is not used, and one V8
 * refuses (another Node release, other V8 flags) costs nothing but the compile it would have saved. Either
 * way the function runs the same.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { type CodeCacheStatus, setCodeCacheState } from './code-cache-state';

/** The function's bundle, beside the entry. */
export const BUNDLE_FILE = 'app.js';
/** The code cache of `app.js`: SHA-256 of `app.js` and the data, then V8's cached data. */
export const CODE_CACHE_FILE = 'app.cache';

const DIGEST_BYTES = 32;

/**
 * Runs `<dir>/app.js` as the CommonJS module `entry` (its exports become the entry's), compiled with
 * `<dir>/app.cache` when that cache belongs to this bundle. `load` is the entry's `require`, so the
 * bundle's own requires (side bundles, builtins) resolve from the same folder.
 */
export function runBundle(dir: string, entry: NodeJS.Module, load: NodeJS.Require): CodeCacheStatus {
  const file = join(dir, BUNDLE_FILE);
  // With --enable-source-maps (the local stack, or NODE_OPTIONS) readable stack traces matter more.
  if (process.sourceMapsEnabled) {
    setCodeCacheState({
      status: 'skipped',
      create: () => {
        throw new Error('no code cache while source maps are enabled: the bundle was not compiled by this entry');
      },
    });
    entry.exports = load(file);
    return 'skipped';
  }
  const bytes = readFileSync(file);
  const cache = readIfPresent(join(dir, CODE_CACHE_FILE));
  // V8 checks only its own version, its flags and the source's length; a cache for another bundle of the
  // same length, or a damaged one, must never reach it.
  const belongs =
    cache !== undefined &&
    cache.length > DIGEST_BYTES &&
    digestOf(bytes, cache.subarray(DIGEST_BYTES)).equals(cache.subarray(0, DIGEST_BYTES));
  const script = new Script(wrap(bytes.toString('utf8')), {
    // Stack traces name the script as the cache was written, on the build machine: a name with no
    // directory reads the same there, in FC and wherever the cache is not used.
    filename: BUNDLE_FILE,
    // The wrapper's first line comes before the bundle's: positions (and source maps) stay the bundle's.
    lineOffset: -1,
    ...(belongs && { cachedData: cache.subarray(DIGEST_BYTES) }),
  });
  const status: CodeCacheStatus =
    cache === undefined ? 'absent' : !belongs ? 'stale' : script.cachedDataRejected ? 'rejected' : 'used';
  setCodeCacheState({
    status,
    create: () => {
      const data = script.createCachedData();
      return Buffer.concat([digestOf(bytes, data), data]);
    },
  });
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(entry.exports, entry.exports, load, entry, file, dir);
  return status;
}

function digestOf(bundle: Buffer, data: Buffer): Buffer {
  return createHash('sha256').update(bundle).update(data).digest();
}

/** Node's own CommonJS wrapper, so the bundle sees exactly what a `require`d file sees. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
