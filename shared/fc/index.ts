/** @module FC 3.0 events (schemas and types), the function runtime wrapper, the HTTP adapter and the async invoker. */

export type { FcHttpEvent, FcHttpRequestContext, FcOssEvent, FcOssEventRecord, FcTimerEvent } from './events';
export { FcHttpEventSchema, FcOssEventRecordSchema, FcOssEventSchema, FcTimerEventSchema } from './events';
export { defaultIsContentTypeBinary, requestFromEvent, resultFromResponse } from './http-app';
export type { CredentialsSource, FcInvokerOptions, FunctionInvoker } from './invoker';
export { createFcInvoker, fcInvokerFromContext, MAX_ASYNC_PAYLOAD_BYTES, resolveInvokeEndpoint } from './invoker';
export type { RawEvent } from './parse';
export { InvalidEventError, parseEvent, parseHttpEvent, parseOssEvent, parseTimerEvent } from './parse';
export type {
  EventRejection,
  EventRun,
  FunctionRuntime,
  FunctionRuntimeOptions,
  Invocation,
} from './runtime';
export { createFunctionRuntime, eventHandler, httpHandler, ossHandler, timerHandler } from './runtime';
export type { FcContext, FcCredentials, FcHandler, FcHttpResult, FcLogger, FcTracing } from './types';
