/**
 * Function Compute 3.0 (runtime nodejs20) event, result and context types, written by hand from the
 * official documentation (see docs/fc-runtime.md). Nothing outside `shared/fc` should need to know
 * these shapes: handlers parse events with `./parse` and HTTP functions go through `./http`.
 */

/**
 * The event of an HTTP trigger, delivered to the handler as a Buffer of this JSON.
 * See {@link https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function HTTP trigger: request struct}.
 */
export interface FcHttpEvent {
  /** Payload format version, currently `v1`. */
  version: string;
  /** The request path as sent, URL-encoded (`/a%20b`). Use `requestContext.http.path` for the decoded path. */
  rawPath: string;
  /** The request body: text, or Base64 when the request is binary (`isBase64Encoded`). */
  body: string;
  isBase64Encoded: boolean;
  /** Request headers; a header sent several times arrives once, its values joined with `,`. */
  headers: Record<string, string>;
  /** Query parameters, decoded; a key given several times arrives once, its values joined with `,`. */
  queryParameters: Record<string, string>;
  requestContext: FcHttpRequestContext;
}

/** `requestContext` of {@link FcHttpEvent}. */
export interface FcHttpRequestContext {
  accountId: string;
  /** `<http-trigger-id>.<region-id>.fcapp.run` for the default URL. */
  domainName: string;
  /** `<http-trigger-id>`. */
  domainPrefix: string;
  http: {
    method: string;
    /** The decoded request path. */
    path: string;
    protocol: string;
    sourceIp: string;
    userAgent: string;
  };
  /** Same as the invocation's `context.requestId`, e.g. `1-64f6cd87-…`. */
  requestId: string;
  /** `2023-09-05T06:41:11Z`. */
  time: string;
  /** Milliseconds since the epoch, as a string. */
  timeEpoch: string;
  /** Present in events sent by `s invoke` (devsapp/fc3 event template); not in the documented struct. */
  triggerId?: string;
}

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

/**
 * The event of an OSS trigger: one or more records, each for one object operation.
 * See {@link https://www.alibabacloud.com/help/en/fc/formats-of-event-for-different-triggers event formats: OSS}.
 */
export interface FcOssEvent {
  events: FcOssEventRecord[];
}

/** One record of {@link FcOssEvent}. */
export interface FcOssEventRecord {
  /** `ObjectCreated:PutObject`, `ObjectRemoved:DeleteObject`, … (no `oss:` prefix, unlike trigger config). */
  eventName: string;
  /** `acs:oss`. */
  eventSource: string;
  /** ISO 8601, e.g. `2022-08-13T06:45:43.000Z`. */
  eventTime: string;
  eventVersion: string;
  oss: {
    bucket: {
      /** `acs:oss:<region>:<accountId>:<bucket>`. */
      arn: string;
      name: string;
      ownerIdentity: string;
      /** Present in the `s invoke` template. */
      virtualBucket?: string;
    };
    object: {
      /** The object key as stored (whether FC URL-encodes it is unverified; see docs/fc-runtime.md §2). */
      key: string;
      /** Not documented for `ObjectRemoved:*` events, so optional. */
      size?: number;
      /** Not documented for `ObjectRemoved:*` events, so optional. */
      eTag?: string;
      deltaSize?: number;
    };
    ossSchemaVersion: string;
    ruleId: string;
  };
  /** Bare region id, `cn-hangzhou` (ali-oss wants `oss-cn-hangzhou`). */
  region: string;
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

/**
 * The event of a timer trigger. `payload` is the trigger's configured string, verbatim.
 * See {@link https://www.alibabacloud.com/help/en/functioncompute/fc/time-triggers timer triggers}.
 */
export interface FcTimerEvent {
  /** `2023-12-26T07:49:00Z`. */
  triggerTime: string;
  triggerName: string;
  payload: string;
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
