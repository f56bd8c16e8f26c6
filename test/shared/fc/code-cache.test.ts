import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../scripts/build';
import { BUNDLE_FILE, CODE_CACHE_FILE } from '../../../shared/fc/code-cache';
import { CODE_CACHE_STATE } from '../../../shared/fc/code-cache-state';

const FIXTURE = join(import.meta.dirname, 'fixtures/code-cache-probe/index.ts');

/** Loads `<dir>/index.js` in a fresh plain node (with `flags`), calls its handler, optionally writes a cache. */
function load(dir: string, options: { flags?: string[]; writeCache?: boolean } = {}) {
  const script = `
    const fn = require(${JSON.stringify(join(dir, 'index.js'))});
    const state = globalThis[Symbol.for(${JSON.stringify(CODE_CACHE_STATE.description)})];
    fn.handler().then((result) => {
      if (${options.writeCache === true}) require('node:fs').writeFileSync(${JSON.stringify(join(dir, CODE_CACHE_FILE))}, state.create());
      process.stdout.write(JSON.stringify({ status: state.status, result }));
    });`;
  const run = spawnSync(process.execPath, [...(options.flags ?? []), '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  if (run.status !== 0) throw new Error(`node exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { status: string; result: Record<string, unknown> };
}

/** A built copy of the probe function with a trained cache. */
async function builtWithCache(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'code-cache-')), 'fn');
  await bundleFunction('code-cache-probe', FIXTURE, dir, { sideBundles: false });
  writeFileSync(join(dir, 'beside.txt'), 'read from beside the bundle');
  expect(load(dir, { writeCache: true }).status).toBe('absent');
  return dir;
}

describe('the code-cache entry', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await builtWithCache();
  }, 60_000);

  it('runs the bundle as a CommonJS module of its folder, strict, with its own line numbers', () => {
    const { result } = load(dir);
    const app = readFileSync(join(dir, BUNDLE_FILE), 'utf8');
    const line = app.slice(0, app.indexOf('Error("where")')).split('\n').length;
    expect(result).toEqual({
      greeting: 'hello from the bundle',
      beside: 'read from beside the bundle',
      strict: true,
      dirname: dir,
      where: [BUNDLE_FILE, String(line)],
    });
  });

  it('uses the cache the build wrote for this bundle', () => {
    expect(load(dir).status).toBe('used');
  });

  it('runs the same from another folder: no path of the build machine shows in a stack trace', () => {
    const moved = join(mkdtempSync(join(tmpdir(), 'code-cache-moved-')), 'code');
    cpSync(dir, moved, { recursive: true });
    const loaded = load(moved);
    expect(loaded.status).toBe('used');
    expect(loaded.result['dirname']).toBe(moved);
    expect(loaded.result['where']).toEqual([BUNDLE_FILE, expect.any(String)]);
  });

  it('never hands V8 a cache of another bundle, even one of the same length', async () => {
    const other = await builtWithCache();
    const app = join(other, BUNDLE_FILE);
    const changed = readFileSync(app, 'utf8').replace('hello from the bundle', 'HELLO from the bundle');
    writeFileSync(app, changed);
    const loaded = load(other);
    expect(loaded.status).toBe('stale');
    expect(loaded.result['greeting']).toBe('HELLO from the bundle');
  });

  it('ignores a damaged cache', async () => {
    const other = await builtWithCache();
    const cache = readFileSync(join(other, CODE_CACHE_FILE));
    const at = cache.length - 100;
    cache[at] = (cache[at] as number) ^ 0xff;
    writeFileSync(join(other, CODE_CACHE_FILE), cache);
    expect(load(other)).toMatchObject({ status: 'stale', result: { greeting: 'hello from the bundle' } });
  });

  it('runs the same when V8 refuses the cache (other V8 flags) or there is none', async () => {
    expect(load(dir, { flags: ['--max-semi-space-size=16'] })).toMatchObject({
      status: 'rejected',
      result: { greeting: 'hello from the bundle', strict: true },
    });
    const bare = join(mkdtempSync(join(tmpdir(), 'code-cache-')), 'fn');
    await bundleFunction('code-cache-probe', FIXTURE, bare, { sideBundles: false });
    writeFileSync(join(bare, 'beside.txt'), 'x');
    expect(load(bare)).toMatchObject({ status: 'absent', result: { greeting: 'hello from the bundle' } });
  });

  it('leaves the bundle to Node when source maps are on, so stack traces name the TypeScript', () => {
    const loaded = load(dir, { flags: ['--enable-source-maps'] });
    expect(loaded.status).toBe('skipped');
    expect(loaded.result['greeting']).toBe('hello from the bundle');
    expect(loaded.result['where']).toEqual([FIXTURE, expect.any(String)]);
  });
});
