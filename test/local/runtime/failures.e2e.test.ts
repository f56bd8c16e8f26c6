/**
 * The ways a start-up goes wrong — a broken s.yaml, a missing bundle, a handler that throws at load or is
 * not exported, a port in use — each give one clear error naming the file, function or port, and leave
 * nothing running.
 */

import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError, StackError } from '../../../local/runtime/errors';
import { startRuntime } from '../../../local/runtime/runtime';
import { loadStack, parseStack } from '../../../local/runtime/s-yaml';
import { bundleFixtures, processesMentioning, STACK_DIR } from './helpers';

let fixtures: Awaited<ReturnType<typeof bundleFixtures>>;
let env: Record<string, string>;

beforeAll(async () => {
  fixtures = await bundleFixtures(['throws-at-load', 'no-handler', 'slow', 'http-echo']);
  env = { FIXTURE_DIST: fixtures.dist, FIXTURE_OUT_DIR: fixtures.out };
});

afterAll(() => fixtures?.cleanup());

/** Starts the runtime for `stack`, expecting it to fail; returns the error. */
async function startFailure(
  stack: ReturnType<typeof loadStack>,
  options: Partial<Parameters<typeof startRuntime>[0]> = {},
): Promise<RuntimeError> {
  const error = await startRuntime({ stack, output: () => {}, log: () => {}, ...options }).then(
    async (runtime) => {
      await runtime.close();
      throw new Error('expected the runtime to refuse to start');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A stack with a good function, an HTTP function and `broken` (a fixture bundle name). */
function mixedStack(broken: string) {
  const file = join(fixtures.root, `mixed-${broken}.yaml`);
  writeFileSync(
    file,
    `edition: 3.0.0
name: mixed
resources:
  slow:
    component: fc3
    props: { region: cn-hangzhou, functionName: mixed-slow, runtime: nodejs20, code: ./dist/slow, handler: index.handler }
  echo:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: mixed-echo
      runtime: nodejs20
      code: ./dist/http-echo
      handler: index.handler
      triggers:
        - { triggerName: http, triggerType: http, triggerConfig: { authType: anonymous, methods: [GET] } }
  broken:
    component: fc3
    props: { region: cn-hangzhou, functionName: mixed-broken, runtime: nodejs20, code: ./dist/${broken}, handler: index.handler }
`,
  );
  return loadStack(file, { env });
}

describe('start-up failures', () => {
  it('a handler that throws while loading: HANDLER_LOAD_FAILED naming the function, the file and the cause', async () => {
    const error = await startFailure(loadStack(join(STACK_DIR, 'throws-at-load.yaml'), { env }));
    expect(error.code).toBe('HANDLER_LOAD_FAILED');
    expect(error.message).toBe(
      `Function fixture-throws-at-load: ${join(fixtures.dist, 'throws-at-load', 'index.js')} threw while loading: Error: cannot start: FIXTURE_REQUIRED is not set`,
    );
  });

  it('a handler name the bundle does not export: HANDLER_MISSING listing what it does export', async () => {
    const error = await startFailure(loadStack(join(STACK_DIR, 'no-handler.yaml'), { env }));
    expect(error.code).toBe('HANDLER_MISSING');
    expect(error.message).toBe(
      `Function fixture-no-handler: ${join(fixtures.dist, 'no-handler', 'index.js')} does not export a function named "handler" (it exports: main)`,
    );
  });

  it('a bundle that was never built: BUNDLE_MISSING naming the function and the expected file', async () => {
    const error = await startFailure(loadStack(join(STACK_DIR, 'missing-bundle.yaml'), { env }));
    expect(error.code).toBe('BUNDLE_MISSING');
    expect(error.message).toBe(
      `Function fixture-unbuilt: no bundle at ${join(fixtures.dist, 'never-built', 'index.js')} (handler index.handler); build it first (npm run build)`,
    );
  });

  it('leaves nothing running when one function of several fails to load', async () => {
    const blocker = await listenOn(0);
    const invokePort = (blocker.address() as { port: number }).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve()));

    const error = await startFailure(mixedStack('throws-at-load'), { invokeApi: { port: invokePort } });
    expect(error.code).toBe('HANDLER_LOAD_FAILED');
    expect(error.message).toContain('mixed-broken');
    // The good functions' instances were stopped and the InvokeFunction port released.
    expect(processesMentioning(join(fixtures.dist, 'slow'))).toEqual([]);
    expect(processesMentioning(join(fixtures.dist, 'http-echo'))).toEqual([]);
    const again = await listenOn(invokePort);
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('a port in use: PORT_IN_USE naming the port, the function and the variable that moves it', async () => {
    const blocker = await listenOn(0);
    const port = (blocker.address() as { port: number }).port;
    try {
      const stack = mixedStack('slow');
      const error = await startFailure(stack, { http: { echo: { port, portVariable: 'LOCAL_API_PORT' } } });
      expect(error.code).toBe('PORT_IN_USE');
      expect(error.message).toBe(
        `Port ${port} on 127.0.0.1 (HTTP trigger of mixed-echo) is already in use; set LOCAL_API_PORT to use another port`,
      );
      expect(processesMentioning(fixtures.dist)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a broken s.yaml never gets as far as starting anything', () => {
    expect(() => loadStack(join(STACK_DIR, 'broken.yaml'), { env })).toThrow(StackError);
    expect(() => parseStack('edition: 3.0.0\nname: x\nresources: {}\n', join(fixtures.root, 's.yaml'))).toThrow(
      /resources: must be a map with at least one resource/,
    );
  });
});
