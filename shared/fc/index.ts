/** @module FC 3.0 event and context types, event parsers, the HTTP fetch adapter and the async invoker. */

export type { FcHttpEnv, FetchApp, HttpAdapterOptions } from './http';
export { createRequest, createResult, defaultIsContentTypeBinary, handleHttp, setCookieKeys } from './http';
export type { CredentialsSource, FcInvokerOptions, FunctionInvoker } from './invoker';
export { createFcInvoker, fcInvokerFromContext, MAX_ASYNC_PAYLOAD_BYTES, resolveInvokeEndpoint } from './invoker';
export type { RawEvent } from './parse';
export { InvalidEventError, parseHttpEvent, parseOssEvent, parseTimerEvent } from './parse';
export type * from './types';
