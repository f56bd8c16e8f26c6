import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleResult, buildFunctions, codeCacheWarnings, functionNames } from '../../scripts/build';
import { TRAINING, writeCodeCaches } from '../../scripts/code-cache/train';
import { BUNDLE_FILE, CODE_CACHE_FILE } from '../../shared/fc/code-cache';
import { CODE_CACHE_STATE } from '../../shared/fc/code-cache-state';
import { tokenDigest } from '../../shared/presign/auth';

const env = {
  PATH: process.env.PATH,
  OSS_BUCKET: 'flink-ws',
  OSS_REGION: 'cn-hangzhou',
  LOG_LEVEL: 'error',
  API_TOKENS: JSON.stringify([{ id: 't', sha256: tokenDigest('t'), namespaces: '*', actions: '*' }]),
};

/** Loads a file with plain node in a clean process (no tsx, no node_modules on the path) and reports what it exports. */
function loadWithNode(
  file: string,
  extraEnv: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const script = `const m = require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ ...Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v])), codeCache: globalThis[Symbol.for(${JSON.stringify(CODE_CACHE_STATE.description)})]?.status }));`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: '/', env: { ...env, ...extraEnv }, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('function bundles', () => {
  let results: BundleResult[];
  // Built apart from dist/, which other test files are running from.
  const outRoot = mkdtempSync(join(tmpdir(), 'bundles-'));
  beforeAll(async () => {
    results = await buildFunctions(undefined, outRoot);
  }, 120_000);

  it('builds one bundle per function', () => {
    expect(results.map((r) => r.name)).toEqual(functionNames());
    expect(results.length).toBeGreaterThan(0);
  });

  it('each loads with plain node and exports handler(event, context)', () => {
    for (const r of results) {
      const loaded = loadWithNode(r.file);
      expect(loaded.stderr).toBe('');
      expect(JSON.parse(loaded.stdout)).toMatchObject({ handler: 'function' });
    }
  });

  it('each ships a code cache of its own bundle that this node uses', () => {
    for (const r of results) {
      expect(r.codeCacheProblem).toBeUndefined();
      expect(r.codeCacheBytes).toBeGreaterThan(10_000);
      expect(statSync(join(outRoot, r.name, CODE_CACHE_FILE)).size).toBe(r.codeCacheBytes);
      expect(JSON.parse(loadWithNode(r.file).stdout)).toMatchObject({ codeCache: 'used' });
    }
  });

  it('a code cache holds bytecode only: no secret, bucket or path of the run that trained it', () => {
    for (const r of results) {
      const cache = readFileSync(join(outRoot, r.name, CODE_CACHE_FILE)).toString('latin1');
      for (const secret of [TRAINING.key.accessKeySecret, TRAINING.key.accessKeyId, TRAINING.token, TRAINING.bucket])
        expect(cache).not.toContain(secret);
      expect(cache).not.toContain(outRoot);
      // The bundle's own literals are in it, which shows the search looks at the right bytes.
      expect(cache).toContain('x-oss-');
    }
  });

  it('a function whose training fails ships without a cache, and the build says why instead of stopping', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bundles-broken-'));
    cpSync(join(outRoot, 'presign-api'), join(root, 'presign-api'), { recursive: true });
    rmSync(join(root, 'presign-api', CODE_CACHE_FILE));
    writeFileSync(join(root, 'presign-api', BUNDLE_FILE), 'throw new Error("broken on purpose");\n');
    const [result] = await writeCodeCaches(root, ['presign-api']);
    expect(result).toMatchObject({
      name: 'presign-api',
      bytes: 0,
      problem: expect.stringContaining('broken on purpose'),
    });
    expect(existsSync(join(root, 'presign-api', CODE_CACHE_FILE))).toBe(false);
    const warnings = codeCacheWarnings([{ ...results[0]!, name: 'presign-api', codeCacheProblem: result!.problem! }]);
    expect(warnings.at(-1)).toMatch(
      /^presign-api has no code cache, so its cold starts compile the bundle: .*broken on purpose/s,
    );
  }, 60_000);

  it('side-bundled SDKs beside a function load too, so no require is left unresolved', () => {
    for (const r of results) {
      const dir = join(outRoot, r.name, 'sdk');
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.js'));
      } catch {
        continue;
      }
      for (const f of files) expect(loadWithNode(join(dir, f)).status).toBe(0);
    }
  });

  it('fails at load with every bad variable named when the configuration is invalid', () => {
    for (const r of results) {
      const loaded = loadWithNode(r.file, { OSS_BUCKET: '', OSS_CHUNK_SIZE: '1KiB' });
      expect(loaded.status).not.toBe(0);
      expect(loaded.stderr).toMatch(/OSS_BUCKET is required/);
      expect(loaded.stderr).toMatch(/OSS_CHUNK_SIZE must be at least 100 KiB/);
    }
  });
});
