/**
 * The local OSS server in a process of its own (`local/oss/main.ts` on a data directory): the benchmarks
 * that measure a client keep the server's CPU and memory out of the client's figures this way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface OssServerProcess {
  child: ChildProcess;
  port: number;
  /** From spawning to listening (loading a large data directory shows here). */
  startMs: number;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts the server with one bucket and one access key, and waits until it listens. */
export async function startOssServerProcess(options: {
  dataDir: string;
  bucket: string;
  key: { accessKeyId: string; accessKeySecret: string };
}): Promise<OssServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'local/oss/main.ts')], {
    cwd: repo,
    env: {
      ...process.env,
      LOCAL_OSS_PORT: '0',
      LOCAL_DATA_DIR: options.dataDir,
      LOCAL_OSS_QUIET: 'true',
      LOCAL_BUCKET: options.bucket,
      LOCAL_OSS_ACCESS_KEY_ID: options.key.accessKeyId,
      LOCAL_OSS_ACCESS_KEY_SECRET: options.key.accessKeySecret,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (m) {
      child.stdout?.resume();
      return {
        child,
        port: Number(m[1]),
        startMs: performance.now() - started,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
  }
  throw new Error('the OSS server exited before listening');
}
