import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePath, v1Signature, v1StringToSign } from '../../../shared/storage/signing';
import { BUCKET, bytes, ROOT } from './helpers';

const repo = resolve(import.meta.dirname, '../../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-oss-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the server in a child process on `dir` and resolves with its port. */
async function startChild(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'test/local/oss/fixtures/child-server.ts'), dir],
    { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return { child, port: (JSON.parse(line) as { port: number }).port };
  }
  throw new Error('child server exited before listening');
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function sign(method: string, key: string) {
  const date = new Date().toUTCString();
  return {
    'x-oss-date': date,
    authorization: `OSS ${ROOT.accessKeyId}:${v1Signature(ROOT.accessKeySecret, v1StringToSign({ method, bucket: BUCKET, key, headers: { 'x-oss-date': date }, query: [], date }))}`,
  };
}

function send(port: number, method: string, key: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: `/${BUCKET}/${encodePath(key)}`,
        headers: { ...sign(method, key), ...(body ? { 'content-length': body.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a large PUT and resolves once `sent` bytes have been handed to the socket. */
async function startLargePut(port: number, key: string, total: number, sent: number): Promise<void> {
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: `/${BUCKET}/${encodePath(key)}`,
    headers: { ...sign('PUT', key), 'content-length': total },
  });
  req.on('error', () => undefined);
  const chunk = bytes(1 << 20, 42);
  for (let written = 0; written < sent; written += chunk.length) {
    await new Promise<void>((resolve) => req.write(chunk, () => resolve()));
  }
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('crash safety: kill -9 during a large PUT, restart on the same data directory', () => {
  it('leaves the old object or none, never a partial one, and keeps acknowledged writes', async () => {
    const old = bytes(1_000_000, 7);
    let { child, port } = await startChild();
    expect((await send(port, 'PUT', 'big.bin', old)).status).toBe(200);
    // Two uploads of 256 MiB, each killed after 24 MiB have gone out: one replacing an object, one new.
    await startLargePut(port, 'big.bin', 256 << 20, 24 << 20);
    await startLargePut(port, 'fresh.bin', 256 << 20, 24 << 20);
    // An acknowledged write just before the crash must survive it.
    const acked = bytes(300_000, 8);
    expect((await send(port, 'PUT', 'acked.bin', acked)).status).toBe(200);
    // The crash really happens mid-upload: both bodies are partly written to staging.
    const staging = async () =>
      Promise.all((await readdir(join(dir, 'tmp'))).map(async (f) => (await stat(join(dir, 'tmp', f))).size));
    for (let i = 0; i < 100 && (await staging()).filter((size) => size > 8 << 20).length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await staging()).filter((size) => size > 8 << 20)).toHaveLength(2);
    await killHard(child);

    ({ child, port } = await startChild());
    try {
      const big = await send(port, 'GET', 'big.bin');
      expect(big.status).toBe(200);
      expect(md5(big.body)).toBe(md5(old));
      expect((await send(port, 'GET', 'fresh.bin')).status).toBe(404);
      expect(md5((await send(port, 'GET', 'acked.bin')).body)).toBe(md5(acked));
      // Half-received bodies are gone from staging, and the server keeps working.
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      expect((await send(port, 'PUT', 'after.bin', Buffer.from('after'))).status).toBe(200);
      expect((await send(port, 'GET', 'after.bin')).body.toString()).toBe('after');
    } finally {
      await killHard(child);
    }
  }, 60_000);
});
