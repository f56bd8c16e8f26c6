import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-oss-main-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/oss/main.ts'], {
    cwd: repo,
    env: { ...process.env, LOCAL_OSS_QUIET: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm run oss-server (local/oss/main.ts)', () => {
  it('starts with the LOCAL_* settings, prints how to connect, creates the bucket and stops cleanly on Ctrl-C', async () => {
    const server = run({
      LOCAL_OSS_PORT: '0',
      LOCAL_DATA_DIR: dir,
      LOCAL_BUCKET: 'my-workspace',
      LOCAL_OSS_ACCESS_KEY_ID: 'id-1',
      LOCAL_OSS_ACCESS_KEY_SECRET: 'secret-1',
    });
    await waitFor(() => server.output().includes('Press Ctrl-C'));
    const out = server.output();
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(out).toContain(`endpoint: 'http://localhost:${port}', sldEnable: true, region: 'oss-cn-hangzhou'`);
    expect(out).toContain('curl');
    const client = new OSS({
      endpoint: `http://localhost:${port}`,
      region: 'oss-cn-hangzhou',
      accessKeyId: 'id-1',
      accessKeySecret: 'secret-1',
      bucket: 'my-workspace',
      ...({ sldEnable: true } as object),
    } as OSS.Options);
    await client.put('hello.txt', Buffer.from('hi'));
    expect(String((await client.get('hello.txt')).content)).toBe('hi');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(existsSync(join(dir, 'oss', 'clean-shutdown'))).toBe(true);
    expect(existsSync(join(dir, 'oss', 'buckets', 'my-workspace', 'bucket.json'))).toBe(true);
  }, 30_000);

  it('names the port when it is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = run({ LOCAL_OSS_PORT: String(port), LOCAL_DATA_DIR: join(dir, 'other') });
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain(`Port ${port}`);
      expect(server.output()).toContain('already in use');
      expect(
        server
          .output()
          .split('\n')
          .filter((l) => l.trim() !== ''),
      ).toHaveLength(1);
    } finally {
      blocker.close();
    }
  }, 30_000);
});
