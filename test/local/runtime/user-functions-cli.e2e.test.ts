/**
 * End to end, the way a user extends the pack: plain handlers from test/fixtures/user-functions added to a
 * copy of the project's s.yaml (each with a `code` directory of its own), then run unchanged through
 * `npm start` (its printed HTTP URL) and `npm run invoke`, as child processes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../scripts/build';

const require = createRequire(import.meta.url);

/** The resources a user appends under `resources:`, relative code paths as in the project's own s.yaml. */
const USER_RESOURCES = `
  cjs-callback:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-cjs-callback
      runtime: nodejs20
      code: ./test/fixtures/user-functions/cjs-callback
      handler: index.handler
      timeout: 60

  esm:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-esm
      runtime: nodejs20
      code: ./test/fixtures/user-functions/esm
      handler: index.handler
      timeout: 60

  json-event:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-json-event
      runtime: nodejs20
      code: ./test/fixtures/user-functions/json-event
      handler: index.handler
      timeout: 60

  http-echo:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-http-echo
      runtime: nodejs20
      code: ./test/fixtures/user-functions/http-echo
      handler: index.handler
      timeout: 60
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST]

  oss-writer:
    component: fc3
    props:
      region: \${vars.region}
      functionName: my-oss-writer
      runtime: nodejs20
      code: ./test/fixtures/user-functions/oss-writer
      handler: index.handler
      timeout: 60
      role: \${vars.role}
      environmentVariables:
        BUCKET: \${env('OSS_BUCKET')}
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

// Beside the project's s.yaml, as a user's edited copy would be: its relative code paths resolve from there.
const template = join(ROOT, `s.user-functions-${randomBytes(4).toString('hex')}.yaml`);
const dataDir = mkdtempSync(join(tmpdir(), 'user-functions-cli-'));
let env: NodeJS.ProcessEnv;
let start: ChildProcess | undefined;
let startOutput = '';
let echoUrl: string;

beforeAll(async () => {
  const original = readFileSync(join(ROOT, 's.yaml'), 'utf8');
  expect(original).toMatch(/^resources:\n/m);
  writeFileSync(template, original.replace(/^resources:\n/m, `resources:\n${USER_RESOURCES}\n`));
  env = {
    ...process.env,
    LOCAL_OSS_PORT: String(await freePort()),
    LOCAL_API_PORT: String(await freePort()),
    LOCAL_LOGS_PORT: String(await freePort()),
    LOCAL_DATA_DIR: dataDir,
  };
  // Its own process group, so the whole tree (npm, tsx, node, instances) can be stopped by its id.
  // --no-build: the bundles in dist/ were built once for all tests (test/global-setup.ts).
  const child = spawn('npm', ['start', '--', '--template', template, '--no-build', '--quiet'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  start = child;
  child.stdout?.on('data', (chunk: Buffer) => {
    startOutput += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    startOutput += chunk.toString();
  });
  const deadline = Date.now() + 150_000;
  while (!/Local stack ready/.test(startOutput)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not get ready:\n${startOutput}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // Let the banner finish printing.
  await new Promise((r) => setTimeout(r, 200));
  const line = /^\s*http-echo\s+(http:\/\/\S+)\s*$/m.exec(startOutput);
  if (!line) throw new Error(`npm start printed no URL for http-echo:\n${startOutput}`);
  echoUrl = line[1] as string;
}, 180_000);

/** Signals the process group of `npm start`; false when it is already gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  const child = start;
  try {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      // Ctrl-C, as a user stops it; it waits up to 5 s for running invocations.
      if (signalGroup(child.pid, 'SIGINT')) {
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
        if (child.exitCode === null) signalGroup(child.pid, 'SIGKILL');
      }
    }
  } finally {
    rmSync(template, { force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

/** `npm run invoke -- <function> …` against the running stack: exit code, result (stdout) and log (stderr). */
function invoke(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', 'invoke', '--', '--template', template, ...args],
      { cwd: ROOT, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm start with user functions added to s.yaml', () => {
  it('prints the HTTP function URL, which echoes the request body', async () => {
    const res = await fetch(`${echoUrl}/echo?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'from curl, through npm start',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo-method')).toBe('POST');
    expect(await res.text()).toBe('from curl, through npm start');
  });

  it("keeps the pack's own functions running beside them", async () => {
    const api = /^\s*presign-api\s+(http:\/\/\S+)\s*$/m.exec(startOutput)?.[1];
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
  });
});

describe('npm run invoke on user functions', () => {
  it('runs a CommonJS handler with a callback, by resource name', async () => {
    const result = await invoke('cjs-callback', '--event', '{"from":"invoke"}');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`hello from my-cjs-callback on ${process.platform}, event {"from":"invoke"}`);
    expect(result.stderr).toMatch(/Using the OSS server already running/);
  }, 150_000);

  it('runs an ES module handler, by functionName', async () => {
    const result = await invoke('my-esm');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ module: 'esm', answer: 42, region: 'cn-hangzhou' });
  }, 150_000);

  it('runs a handler that parses a JSON event from a file', async () => {
    const file = join(dataDir, 'event.json');
    writeFileSync(file, JSON.stringify({ name: 'from a file', items: ['a', 'b'] }));
    const result = await invoke('json-event', '--event', file);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ greeting: 'hello, from a file', items: 2, function: 'my-json-event' });
  }, 150_000);

  it('runs cloud OSS code (built-in ali-oss, context.region, no endpoint) against the running OSS server', async () => {
    const result = await invoke('oss-writer', '--event', '{"key":"user/notes.txt","text":"cloud code, unchanged"}');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 'cloud code, unchanged', aliOssVersion: '6.19.0' });
    const OSS = require('ali-oss') as new (o: object) => { get(k: string): Promise<{ content: Buffer }> };
    const client = new OSS({
      endpoint: `http://localhost:${env['LOCAL_OSS_PORT']}`,
      sldEnable: true,
      region: 'oss-cn-hangzhou',
      bucket: 'flink-workspace',
      accessKeyId: 'local-access-key',
      accessKeySecret: 'local-secret-key',
    });
    expect((await client.get('user/notes.txt')).content.toString()).toBe('cloud code, unchanged');
  }, 150_000);
});
