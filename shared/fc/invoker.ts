/**
 * Asynchronous fan-out: one function hands work to another through FC's InvokeFunction API with
 * `x-fc-invocation-type: Async` (FC queues it, retries function errors, delivers at least once).
 */
import { Readable } from 'node:stream';
import type { Credentials } from '../config';
import { PackError } from '../errors';
import type { FcContext } from './types';

/** The port: queue one asynchronous invocation of another function. */
export interface FunctionInvoker {
  /** Resolves once FC has accepted (queued) the invocation; the function runs later. */
  invokeAsync(functionName: string, payload: Uint8Array | string): Promise<{ requestId?: string }>;
}

/** Credentials or a way to get fresh ones (STS keys expire). */
export type CredentialsSource = Credentials | (() => Credentials | Promise<Credentials>);

export interface FcInvokerOptions {
  accountId: string;
  region: string;
  credentials: CredentialsSource;
  /**
   * The InvokeFunction endpoint: a host (`<accountId>.<region>.fc.aliyuncs.com`, the default, over https)
   * or a URL with its scheme (`http://127.0.0.1:9002` for the local runtime).
   */
  endpoint?: string;
  /** Version or alias to invoke; FC's default is `LATEST`. */
  qualifier?: string;
  /** Per-request read timeout in ms (default 10 000). */
  timeoutMs?: number;
}

/** FC's limit for an asynchronous invocation's payload (docs/fc-runtime.md §7). */
export const MAX_ASYNC_PAYLOAD_BYTES = 128 * 1024;

type SdkClient = {
  invokeFunctionWithOptions(
    name: string,
    request: unknown,
    headers: unknown,
    runtime: unknown,
  ): Promise<{ headers?: Record<string, string> }>;
};

interface Sdk {
  newClient(config: Record<string, unknown>): SdkClient;
  newRequest(fields: Record<string, unknown>): unknown;
  newHeaders(fields: Record<string, unknown>): unknown;
  newRuntime(fields: Record<string, unknown>): unknown;
}

let sdkPromise: Promise<Sdk> | undefined;

/**
 * Loads the FC 3.0 SDK on first use. It costs about 200 ms to load, which would land on every cold start
 * if imported at the top; esbuild turns this dynamic import into a lazy require inside the CJS bundle.
 * The module shapes differ between Node's ESM-from-CJS interop and esbuild's, hence the lookups.
 */
function loadSdk(): Promise<Sdk> {
  sdkPromise ??= (async () => {
    const [fc, core, dara] = await Promise.all([
      import('@alicloud/fc20230330'),
      import('@alicloud/openapi-core'),
      import('@darabonba/typescript'),
    ]);
    const fcModule = fc as unknown as Record<string, unknown> & { default: unknown };
    const Client = (
      typeof fcModule.default === 'function' ? fcModule.default : (fcModule.default as { default: unknown }).default
    ) as new (
      config: unknown,
    ) => SdkClient;
    const pick = <T>(mod: unknown, name: string): T =>
      ((mod as Record<string, unknown>)[name] ?? (mod as { default?: Record<string, unknown> }).default?.[name]) as T;
    const OpenApiUtil = pick<{ Config: new (fields: unknown) => unknown }>(core, '$OpenApiUtil');
    const InvokeFunctionRequest = pick<new (fields: unknown) => unknown>(fc, 'InvokeFunctionRequest');
    const InvokeFunctionHeaders = pick<new (fields: unknown) => unknown>(fc, 'InvokeFunctionHeaders');
    const RuntimeOptions = pick<new (fields: unknown) => unknown>(dara, 'RuntimeOptions');
    return {
      newClient: (config) => new Client(new OpenApiUtil.Config(config)),
      newRequest: (fields) => new InvokeFunctionRequest(fields),
      newHeaders: (fields) => new InvokeFunctionHeaders(fields),
      newRuntime: (fields) => new RuntimeOptions(fields),
    };
  })();
  sdkPromise.catch(() => {
    sdkPromise = undefined;
  });
  return sdkPromise;
}

/** Splits an endpoint option into the SDK's host and protocol. */
export function resolveInvokeEndpoint(options: Pick<FcInvokerOptions, 'accountId' | 'region' | 'endpoint'>): {
  host: string;
  protocol: 'HTTP' | 'HTTPS';
} {
  const endpoint = options.endpoint?.trim() || `${options.accountId}.${options.region}.fc.aliyuncs.com`;
  const match = /^(https?):\/\/([^/]+)\/?$/i.exec(endpoint);
  if (match)
    return { host: match[2] as string, protocol: (match[1] as string).toLowerCase() === 'http' ? 'HTTP' : 'HTTPS' };
  if (endpoint.includes('/'))
    throw new PackError(
      'INVOKER_CONFIG_INVALID',
      `FC endpoint must be a host or scheme://host[:port], got ${JSON.stringify(endpoint)}`,
    );
  return { host: endpoint, protocol: 'HTTPS' };
}

/**
 * A {@link FunctionInvoker} on the FC 3.0 SDK (`@alicloud/fc20230330`). The SDK is loaded on the first
 * invocation, not when this is created. Fails with `INVOKE_PAYLOAD_TOO_LARGE` before any request when the
 * payload exceeds FC's 128 KB async limit, and with `INVOKE_FAILED` (naming the function and FC's error
 * code) when FC refuses the call.
 */
export function createFcInvoker(options: FcInvokerOptions): FunctionInvoker {
  const { host, protocol } = resolveInvokeEndpoint(options);
  const clients = new Map<string, SdkClient>();

  async function clientFor(sdk: Sdk): Promise<SdkClient> {
    const credentials = typeof options.credentials === 'function' ? await options.credentials() : options.credentials;
    // STS keys rotate: one client per key set, and the map never grows past the few sets a process sees.
    const cacheKey = `${credentials.accessKeyId}\n${credentials.securityToken ?? ''}`;
    let client = clients.get(cacheKey);
    if (!client) {
      clients.clear();
      client = sdk.newClient({
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        endpoint: host,
        protocol,
        readTimeout: options.timeoutMs ?? 10_000,
        connectTimeout: Math.min(options.timeoutMs ?? 10_000, 5_000),
      });
      clients.set(cacheKey, client);
    }
    return client;
  }

  return {
    async invokeAsync(functionName, payload) {
      const body =
        typeof payload === 'string'
          ? Buffer.from(payload, 'utf8')
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      if (body.length > MAX_ASYNC_PAYLOAD_BYTES) {
        throw new PackError(
          'INVOKE_PAYLOAD_TOO_LARGE',
          `Async payload for ${functionName} is ${body.length} bytes; FC accepts at most ${MAX_ASYNC_PAYLOAD_BYTES}`,
        );
      }
      const sdk = await loadSdk();
      const client = await clientFor(sdk);
      try {
        const response = await client.invokeFunctionWithOptions(
          functionName,
          sdk.newRequest({
            body: Readable.from([body]),
            ...(options.qualifier ? { qualifier: options.qualifier } : {}),
          }),
          sdk.newHeaders({ xFcInvocationType: 'Async' }),
          sdk.newRuntime({}),
        );
        const requestId = response.headers?.['x-fc-request-id'];
        return requestId ? { requestId } : {};
      } catch (error) {
        throw new PackError('INVOKE_FAILED', `Async invocation of ${functionName} failed: ${sdkErrorSummary(error)}`, {
          cause: error,
        });
      }
    },
  };
}

/**
 * An invoker that calls as the current function: its role's STS keys from `context.credentials`, its
 * account and region. `endpoint` overrides FC's (the local runtime passes its own).
 */
export function fcInvokerFromContext(
  context: FcContext,
  options: { endpoint?: string; qualifier?: string } = {},
): FunctionInvoker {
  const credentials = context.credentials;
  if (!credentials) {
    throw new PackError(
      'INVOKER_NO_CREDENTIALS',
      `Function ${context.function.name} has no role, so context.credentials is empty and it cannot invoke others`,
    );
  }
  return createFcInvoker({ accountId: context.accountId, region: context.region, credentials, ...options });
}

/** The SDK's error code and message, without the request it echoes (which can hold signed headers). */
function sdkErrorSummary(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, statusCode, message } = error as { code?: unknown; statusCode?: unknown; message?: unknown };
    const parts = [code, statusCode].filter((p) => p !== undefined && p !== '').map(String);
    const text = typeof message === 'string' ? message.split('\n')[0] : '';
    return [parts.join(' '), text].filter(Boolean).join(': ') || 'unknown error';
  }
  return String(error);
}
