/**
 * Function Compute 3.0 (runtime nodejs20) result and context types, written by hand from the official
 * documentation (see docs/fc-runtime.md). The event types are inferred from the schemas in `./events`.
 * Functions rarely need these shapes: they are wrapped by `./runtime`, which parses the events.
 */
export type {
  FcHttpEvent,
  FcHttpRequestContext,
  FcOssEvent,
  FcOssEventRecord,
  FcTimerEvent,
} from './events';

/**
 * What an HTTP-triggered handler returns. Always give `statusCode`: the documented inference for other
 * values is not relied on.
 * See {@link https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function HTTP trigger: response struct}.
 */
export interface FcHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  /** Text, or Base64 when `isBase64Encoded`. */
  body: string;
  isBase64Encoded: boolean;
}

/** STS keys of the function's role, as in `context.credentials`. */
export interface FcCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

/** `context.logger`: writes `date requestId [level] message` lines. */
export interface FcLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  log(...args: unknown[]): void;
}

/** `context.tracing` (Tracing Analysis); empty unless tracing is enabled on the function. */
export interface FcTracing {
  spanContext?: string;
  jaegerEndpoint?: string;
  spanBaggages?: Record<string, string>;
  parseOpenTracingBaggages?: () => Record<string, string>;
}

/**
 * The second handler argument.
 * See {@link https://www.alibabacloud.com/help/en/functioncompute/fc/context-1-1 context (Node.js)}.
 */
export interface FcContext {
  requestId: string;
  /** Only present when the function has a role. */
  credentials?: FcCredentials;
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { logProject: string; logStore: string; qualifier: string; versionId: string };
  region: string;
  accountId: string;
  logger: FcLogger;
  tracing?: FcTracing;
}

/**
 * An FC 3.0 handler: the event always arrives as a Buffer. The return value is converted by FC: a Buffer
 * as-is, an object to JSON, anything else to a string.
 * See {@link https://www.alibabacloud.com/help/en/functioncompute/fc/request-handlers request handlers}.
 */
export type FcHandler = (event: Buffer, context: FcContext) => Promise<unknown>;
