/**
 * What a function's entry (`shared/fc/code-cache.ts`) leaves for the function it loaded: whether the code
 * cache was used, and how to write a new one. Apart from the entry so the function's bundle carries only this.
 */

/**
 * How the cache fared at this cold start: `used`; `absent` (no file); `stale` (not what the build wrote
 * for this `app.js`: another bundle's, or damaged); `rejected` (V8 refused it: another Node or V8
 * version, or other V8 flags); `skipped` (Node maps stack traces through source maps, which it only does
 * for files it loads itself).
 */
export type CodeCacheStatus = 'used' | 'absent' | 'stale' | 'rejected' | 'skipped';

/** What the entry leaves on `globalThis` under `CODE_CACHE_STATE`. */
export interface CodeCacheState {
  readonly status: CodeCacheStatus;
  /** A new cache of `app.js` holding everything compiled so far (the build's training run calls it). */
  create(): Buffer;
}

/**
 * Where the entry leaves its `CodeCacheState`: the runtime logs a cache that was not used. Plain JavaScript
 * (the build's trainer, the first-request probe) finds it with `Symbol.for` and this symbol's description.
 */
export const CODE_CACHE_STATE = Symbol.for('flink-artifact-lifecycle.code-cache');

type WithState = { [CODE_CACHE_STATE]?: CodeCacheState };

/** The state the entry left, when the function was loaded through it. */
export function codeCacheState(): CodeCacheState | undefined {
  return (globalThis as WithState)[CODE_CACHE_STATE];
}

/** Leaves `state` for the function and its runtime (the entry calls it before running the bundle). */
export function setCodeCacheState(state: CodeCacheState): void {
  (globalThis as WithState)[CODE_CACHE_STATE] = state;
}
