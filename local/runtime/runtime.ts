/**
 * The local FC 3.0 runtime: runs the functions of a {@link StackSpec} the way FC does — one warm process
 * per instance, one invocation per instance at a time, HTTP triggers on their own ports, OSS events and
 * timers as asynchronous invocations with FC's retry policy — and, optionally, FC's InvokeFunction API.
 * Start-up is all or nothing: any failure stops what already started and throws one error.
 */
import { describeError } from '../../shared/errors';
import { AsyncInvoker, type AsyncOutcome } from './async-invoker';
import { RuntimeError } from './errors';
import { type RunningHttpTrigger, startHttpTrigger } from './http-trigger';
import { FunctionInstance, newInstanceId, type OutputLine, type WireContext } from './instance';
import { type RunningInvokeApi, startInvokeApi } from './invoke-api';
import { type AttachOptions, attachOssTriggers, type OssEventSource } from './oss-trigger';
import { FunctionPool } from './pool';
import { newRequestId } from './request-id';
import type { FunctionSpec, HttpTriggerSpec, StackSpec } from './s-yaml';
import { type RunningTimers, startTimers } from './timer-trigger';
import type { CredentialsProvider, InvocationResult } from './types';

/** Where one listener binds. `portVariable` names the setting that changes the port, for error messages. */
export interface ListenOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to the runtime's `host`. */
  host?: string;
  portVariable?: string;
}

export interface RuntimeOptions {
  stack: StackSpec;
  /**
   * The function role's keys (the local OSS server mints STS keys). Functions with a `role` get them as
   * `context.credentials` and `ALIBABA_CLOUD_ACCESS_KEY_*`; functions without one get none, as on FC.
   */
  credentials?: CredentialsProvider;
  /** Extra environment for every function, applied last (over s.yaml and FC system variables). */
  env?: Readonly<Record<string, string>>;
  /** Listener per HTTP function, keyed by function name or resource name; unlisted ones get a free port. */
  http?: Readonly<Record<string, ListenOptions>>;
  /** Interface to bind; loopback by default. */
  host?: string;
  /**
   * The local InvokeFunction endpoint (on by default, free port). Functions see its URL in
   * `LOCAL_FC_ENDPOINT`. `false` turns it off.
   */
  invokeApi?: ListenOptions | false;
  /** Fire timer triggers (default true). */
  timers?: boolean;
  /**
   * Send functions' requests for Alibaba Cloud endpoints of `region` to loopback, so cloud code runs
   * unchanged: OSS endpoints to `ossPort` (the local OSS server), FC API endpoints to the InvokeFunction
   * endpoint (when it is on). Off when absent.
   */
  cloudRoutes?: { region: string; ossPort?: number };
  /** Instances per function at most (default 4); further invocations wait for one to free up. */
  maxInstancesPerFunction?: number;
  /** Start one instance per function before returning, so load errors stop the start-up (default true). */
  prewarm?: boolean;
  /** Backoff for async retries: first delay (default 500 ms), doubling up to `maxDelayMs` (default 30 s). */
  asyncRetry?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Receives every line functions write; by default printed as `[function requestId] line`. */
  output?: (line: OutputLine) => void;
  /** Receives the runtime's own messages (retries, refused requests); by default printed to stderr. */
  log?: (message: string) => void;
  /** Called when an asynchronous invocation settles (success, last failure, expiry, drop). */
  onAsyncOutcome?: (outcome: AsyncOutcome) => void;
}

/** An event to invoke with: bytes and strings go as-is, anything else as JSON. */
export type InvokeEvent = Buffer | Uint8Array | string | object;

export interface LocalRuntime {
  readonly stack: StackSpec;
  /** Base URL of each HTTP function, by function name. */
  readonly urls: Readonly<Record<string, string>>;
  /** The InvokeFunction endpoint, when enabled. */
  readonly invokeEndpoint: string | undefined;
  /** Invokes a function synchronously (by function or resource name). Function failures come back in the result. */
  invoke(functionName: string, event?: InvokeEvent): Promise<InvocationResult>;
  /** Queues an asynchronous invocation with FC's retry policy; resolves once accepted. */
  invokeAsync(functionName: string, event?: InvokeEvent): { requestId: string };
  /** Subscribes the stack's OSS triggers to an event source; returns the detach function. */
  attach(source: OssEventSource, options?: AttachOptions): () => void;
  /** Resolves when no asynchronous invocation is pending (running or waiting to retry). */
  idle(): Promise<void>;
  /**
   * Stops timers, subscriptions, listeners and every instance. `drainTimeoutMs` first gives pending
   * asynchronous invocations that long to finish; the rest are dropped and counted in the log.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
}

/** Starts the runtime. Throws a `RuntimeError` (`BUNDLE_MISSING`, `HANDLER_*`, `PORT_IN_USE`, …) and leaves nothing running when any part fails. */
export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const { stack } = options;
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((message: string) => process.stderr.write(`[fc-runtime] ${message}\n`));
  const output = options.output ?? printOutput;
  const byName = new Map<string, FunctionSpec>();
  for (const fn of stack.functions) byName.set(fn.resource, fn);
  for (const fn of stack.functions) byName.set(fn.name, fn);

  let invokeEndpoint: string | undefined;
  let closed = false;
  const pools = new Map<string, FunctionPool>();
  const httpTriggers: RunningHttpTrigger[] = [];
  const detachers = new Set<() => void>();
  let invokeApi: RunningInvokeApi | undefined;
  let timers: RunningTimers | undefined;

  const resolve = (name: string): FunctionSpec => {
    const fn = byName.get(name);
    if (!fn) {
      throw new RuntimeError(
        'FUNCTION_NOT_FOUND',
        `No function "${name}" in ${stack.file} (functions: ${stack.functions.map((f) => f.name).join(', ')})`,
      );
    }
    return fn;
  };

  async function credentialsFor(fn: FunctionSpec) {
    if (!fn.role || !options.credentials) return undefined;
    const c = await options.credentials();
    return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken ?? '' };
  }

  async function environmentFor(fn: FunctionSpec, instanceId: string): Promise<Record<string, string>> {
    const credentials = await credentialsFor(fn);
    return {
      PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      // FC instances run in UTC; a laptop's zone would make date-partitioned keys differ from the cloud's.
      TZ: 'UTC',
      ...fn.environment,
      FC_FUNCTION_NAME: fn.name,
      FC_FUNCTION_HANDLER: fn.handler,
      FC_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      FC_TIMEOUT: String(fn.timeout),
      FC_RUNTIME: fn.runtime,
      FC_REGION: fn.region,
      FC_ACCOUNT_ID: stack.accountId,
      FC_INSTANCE_ID: instanceId,
      FC_FUNC_CODE_PATH: fn.codeDir,
      ...(credentials
        ? {
            ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
            ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
          }
        : {}),
      ...(invokeEndpoint ? { LOCAL_FC_ENDPOINT: invokeEndpoint } : {}),
      ...options.env,
    };
  }

  for (const fn of stack.functions) {
    pools.set(
      fn.name,
      new FunctionPool({
        spec: fn,
        maxInstances: options.maxInstancesPerFunction ?? 4,
        startInstance: async (onExit) => {
          const instanceId = newInstanceId();
          return FunctionInstance.start({
            spec: fn,
            instanceId,
            env: await environmentFor(fn, instanceId),
            onOutput: output,
            onExit,
            ...(options.cloudRoutes && {
              routes: {
                region: options.cloudRoutes.region,
                ...(options.cloudRoutes.ossPort !== undefined && { ossPort: options.cloudRoutes.ossPort }),
                ...(invokeApi && { fcPort: invokeApi.port }),
              },
            }),
          });
        },
      }),
    );
  }

  async function invokeNow(name: string, event: Buffer, requestId: string = newRequestId()): Promise<InvocationResult> {
    if (closed) throw new RuntimeError('RUNTIME_CLOSED', `Cannot invoke ${name}: the runtime is closed`);
    const fn = resolve(name);
    const credentials = await credentialsFor(fn);
    const context: WireContext = {
      requestId,
      ...(credentials ? { credentials } : {}),
      function: { name: fn.name, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout },
      service: {
        logProject: fn.logConfig?.project ?? '',
        logStore: fn.logConfig?.logstore ?? '',
        qualifier: 'LATEST',
        versionId: '',
      },
      region: fn.region,
      accountId: stack.accountId,
    };
    const started = performance.now();
    const { outcome, instanceId, coldStart } = await (pools.get(fn.name) as FunctionPool).invoke(event, context);
    const base = { functionName: fn.name, requestId, durationMs: performance.now() - started, instanceId, coldStart };
    if (outcome.ok) return { ...base, payload: outcome.payload };
    return {
      ...base,
      payload: Buffer.from(JSON.stringify(outcome.error), 'utf8'),
      error: outcome.error,
      errorKind: outcome.kind,
    };
  }

  const asyncInvoker = new AsyncInvoker({
    invoke: invokeNow,
    policyOf: (name) => resolve(name).asyncInvoke,
    retryBaseDelayMs: options.asyncRetry?.baseDelayMs ?? 500,
    retryMaxDelayMs: options.asyncRetry?.maxDelayMs ?? 30_000,
    log,
    ...(options.onAsyncOutcome ? { onOutcome: options.onAsyncOutcome } : {}),
  });
  const enqueue = (name: string, event: Buffer, source: string) =>
    asyncInvoker.enqueue(resolve(name).name, event, source);

  async function close(closeOptions: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (closed) return;
    timers?.stop();
    for (const detach of [...detachers]) detach();
    if (closeOptions.drainTimeoutMs && asyncInvoker.pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        asyncInvoker.idle(),
        new Promise<void>((r) => (timer = setTimeout(r, closeOptions.drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    closed = true;
    const dropped = asyncInvoker.close();
    if (dropped > 0) log(`dropped ${dropped} pending asynchronous invocation(s) on close`);
    await Promise.all([...httpTriggers.map((t) => t.close()), invokeApi?.close()]);
    const reason = new RuntimeError('RUNTIME_CLOSED', 'The runtime was closed');
    await Promise.all([...pools.values()].map((p) => p.close(reason)));
  }

  try {
    if (options.invokeApi !== false) {
      const api = options.invokeApi ?? {};
      invokeApi = await startInvokeApi({
        host: api.host ?? host,
        port: api.port ?? 0,
        ...(api.portVariable ? { portVariable: api.portVariable } : {}),
        resolveName: (name) => byName.get(name)?.name,
        invoke: invokeNow,
        enqueue,
      });
      invokeEndpoint = invokeApi.url;
    }
    if (options.prewarm !== false) await prewarmAll([...pools.values()]);
    for (const fn of stack.functions) {
      const trigger = fn.triggers.find((t): t is HttpTriggerSpec => t.type === 'http');
      if (!trigger) continue;
      const listenAt = options.http?.[fn.name] ?? options.http?.[fn.resource] ?? {};
      httpTriggers.push(
        await startHttpTrigger({
          spec: fn,
          trigger,
          accountId: stack.accountId,
          host: listenAt.host ?? host,
          port: listenAt.port ?? 0,
          ...(listenAt.portVariable ? { portVariable: listenAt.portVariable } : {}),
          invoke: invokeNow,
          log,
        }),
      );
    }
    for (const fn of stack.functions) {
      for (const t of fn.triggers)
        if (t.type === 'unsupported') log(`${fn.name}: ${t.triggerType} trigger ${t.name} is not emulated locally`);
    }
    if (options.timers !== false) timers = startTimers(stack.functions, enqueue);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    stack,
    urls: Object.fromEntries(httpTriggers.map((t) => [t.functionName, t.url])),
    invokeEndpoint,
    invoke: (name, event) => invokeNow(name, toEventBuffer(event)),
    invokeAsync: (name, event) => {
      if (closed) throw new RuntimeError('RUNTIME_CLOSED', `Cannot invoke ${name}: the runtime is closed`);
      return enqueue(name, toEventBuffer(event), 'api');
    },
    attach(source, attachOptions) {
      if (closed) throw new RuntimeError('RUNTIME_CLOSED', 'Cannot attach an event source: the runtime is closed');
      const detach = attachOssTriggers(stack.functions, source, enqueue, attachOptions);
      const once = () => {
        if (detachers.delete(once)) detach();
      };
      detachers.add(once);
      return once;
    },
    idle: () => asyncInvoker.idle(),
    close,
  };
}

/** Starts one instance per function in parallel; all failures are reported together. */
async function prewarmAll(pools: FunctionPool[]): Promise<void> {
  const results = await Promise.allSettled(pools.map((p) => p.prewarm()));
  const failures = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as unknown);
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const first = failures[0];
    const code = first instanceof RuntimeError ? first.code : 'HANDLER_LOAD_FAILED';
    throw new RuntimeError(code, failures.map((f) => describeError(f).replace(/^[A-Z_]+: /, '')).join('\n'));
  }
}

function toEventBuffer(event: InvokeEvent | undefined): Buffer {
  if (event === undefined) return Buffer.from('{}', 'utf8');
  if (Buffer.isBuffer(event)) return event;
  if (event instanceof Uint8Array) return Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  if (typeof event === 'string') return Buffer.from(event, 'utf8');
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Default output sink: each line prefixed with the function name and the request id it belongs to. */
export function formatOutputLine(line: OutputLine): string {
  return `[${line.functionName}${line.requestId ? ` ${line.requestId}` : ''}] ${line.text}`;
}

function printOutput(line: OutputLine): void {
  (line.stream === 'stderr' ? process.stderr : process.stdout).write(`${formatOutputLine(line)}\n`);
}
