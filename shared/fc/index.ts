/** @module FC 3.0 event and context types, event parsers, the HTTP fetch adapter and the async invoker. */
export { createRequest, createResult, defaultIsContentTypeBinary, handleHttp, setCookieKeys } from './http';
export type { FcHttpEnv, FetchApp, HttpAdapterOptions } from './http';
export { createFcInvoker, fcInvokerFromContext, MAX_ASYNC_PAYLOAD_BYTES, resolveInvokeEndpoint } from './invoker';
export type { CredentialsSource, FcInvokerOptions, FunctionInvoker } from './invoker';
export { InvalidEventError, parseHttpEvent, parseOssEvent, parseTimerEvent } from './parse';
export type { RawEvent } from './parse';
export type * from './types';
