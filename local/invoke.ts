/**
 * `npm run invoke -- <function> [--event <file or JSON>] [--template <s.yaml>]`: invokes one function
 * that s.yaml declares (by resource name or functionName) once, the way FC would, and prints the result.
 * The pack's own functions are built first; any other function runs from its `code` directory as it is.
 * Uses the running stack's OSS server when one answers on LOCAL_OSS_PORT; otherwise starts one on
 * LOCAL_DATA_DIR for the call. Without --event, a timer function gets its timer's event, an HTTP
 * function `GET /healthz`, and any other function an empty event.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFunctions, DIST_DIR, functionNames, ROOT } from '../scripts/build';
import { describeError } from '../shared/errors';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from './oss';
import { type FunctionSpec, LOCAL_ACCOUNT_ID, loadStack, startRuntime } from './runtime';
import { readLocalSettings } from './settings';
import { localStackEnv } from './stack';

/** True when something on the port answers like OSS (every OSS response carries x-oss-request-id). */
async function ossAnswers(port: number): Promise<boolean> {
  try {
    // Nothing listening fails at once; a server on a busy machine may take a while to answer.
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.headers.has('x-oss-request-id');
  } catch {
    return false;
  }
}

/** The event given with --event (a file path or JSON text), or the default for the function's trigger. */
export function eventFor(fn: FunctionSpec, given: string | undefined, now = new Date()): string {
  if (given !== undefined) {
    const text = existsSync(given) ? readFileSync(given, 'utf8') : given;
    try {
      JSON.parse(text);
    } catch {
      throw new Error(
        `--event must be a JSON file or JSON text; ${existsSync(given) ? `${given} does not hold JSON` : 'the text is not JSON'}`,
      );
    }
    return text;
  }
  const timer = fn.triggers.find((t) => t.type === 'timer');
  if (timer && timer.type === 'timer')
    return JSON.stringify({
      triggerTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      triggerName: timer.name,
      payload: timer.payload,
    });
  if (fn.triggers.some((t) => t.type === 'http')) {
    return JSON.stringify({
      version: 'v1',
      rawPath: '/healthz',
      body: '',
      isBase64Encoded: false,
      headers: { 'User-Agent': 'npm-run-invoke' },
      queryParameters: {},
      requestContext: {
        accountId: LOCAL_ACCOUNT_ID,
        domainName: 'localhost',
        domainPrefix: 'local',
        http: {
          method: 'GET',
          path: '/healthz',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'npm-run-invoke',
        },
        requestId: 'invoke',
        time: now.toISOString(),
        timeEpoch: String(now.getTime()),
      },
    });
  }
  // As `s invoke` without an event: the function gets an empty payload.
  return '';
}

/** The pack function (functions/<name>) whose bundle is the function's code directory, if any. */
export function packFunctionOf(fn: FunctionSpec): string | undefined {
  return functionNames().find((name) => resolve(DIST_DIR, name) === resolve(fn.codeDir));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      event: { type: 'string' },
      template: { type: 'string', short: 't' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const settings = readLocalSettings();
  const name = positionals[0];
  if (values.help || !name) {
    console.log(
      [
        'Usage: npm run invoke -- <function> [--event <file or JSON>] [--template <s.yaml>]',
        '  <function>   a resource name or functionName that s.yaml declares',
        '  --event      the event: a JSON file or JSON text (default: from the trigger, or empty)',
        '  --template   the s.yaml to read (default: s.yaml of the project), as `s -t`',
      ].join('\n'),
    );
    if (!values.help) process.exitCode = 2;
    return;
  }

  let ownServer: RunningOssServer | undefined;
  let port = settings.ossPort;
  if (await ossAnswers(port)) {
    console.error(`Using the OSS server already running on port ${port}.`);
  } else {
    ownServer = await startOssServer({
      port: 0,
      dataDir: join(settings.dataDir, 'oss'),
      region: settings.region,
      accessKeys: [{ accessKeyId: settings.accessKeyId, accessKeySecret: settings.accessKeySecret }],
      buckets: [settings.bucket],
    });
    port = ownServer.port;
    console.error(`No OSS server on port ${settings.ossPort}; started one on ${settings.dataDir} for this call.`);
  }
  try {
    const template = resolve(values.template ?? join(ROOT, 's.yaml'));
    const stack = loadStack(template, {
      env: { ...process.env, ...localStackEnv(settings, port) },
      config: { AccountID: LOCAL_ACCOUNT_ID },
    });
    const fn = stack.functions.find((f) => f.resource === name || f.name === name);
    if (!fn)
      throw new Error(
        `No function "${name}" in ${template}; there are: ${stack.functions.map((f) => `${f.resource} (${f.name})`).join(', ')}`,
      );
    const event = eventFor(fn, values.event);
    if (values.event === undefined && event === '') console.error('No --event: invoking with an empty event.');
    const pack = packFunctionOf(fn);
    if (pack) await buildFunctions([pack]);
    const root = { accessKeyId: settings.accessKeyId, accessKeySecret: settings.accessKeySecret };
    // The whole stack, started lazily: the invoked function may call others through the FC API.
    const runtime = await startRuntime({
      stack,
      prewarm: false,
      credentials: () => {
        const c = mintTemporaryCredentials(root, 3600);
        return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken };
      },
      timers: false,
      cloudRoutes: { region: settings.region, ossPort: port },
      output: (line) => console.error(`[${line.functionName} ${line.requestId}] ${line.text}`),
      log: () => undefined,
    });
    try {
      const result = await runtime.invoke(fn.name, event);
      console.error(
        `${result.error ? 'Failed' : 'Done'} in ${result.durationMs.toFixed(0)} ms (request ${result.requestId})`,
      );
      console.log(pretty(result.payload.toString('utf8')));
      if (result.error) process.exitCode = 1;
    } finally {
      await runtime.close({ drainTimeoutMs: 1000 });
    }
  } finally {
    await ownServer?.close();
  }
}

/** Pretty-prints JSON results, and the JSON body inside an HTTP result. */
function pretty(text: string): string {
  try {
    const value = JSON.parse(text) as { body?: unknown; isBase64Encoded?: boolean };
    if (typeof value.body === 'string' && !value.isBase64Encoded) {
      try {
        value.body = JSON.parse(value.body);
      } catch {
        // a text body stays as it is
      }
    }
    return JSON.stringify(value, null, 2);
  } catch {
    return text;
  }
}

if (process.argv[1] && /invoke\.ts$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(describeError(error).replace(/^([A-Z_]+|Error): /, ''));
    process.exit(1);
  });
}
