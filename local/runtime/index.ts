/** @module Local FC 3.0 runtime: reads s.yaml and runs its functions with FC's triggers and invocation semantics. */

export type { AsyncOutcome } from './async-invoker';
export { retryDelayMs, shouldRetry } from './async-invoker';
export type { RuntimeErrorCode, StackProblem } from './errors';
export { RuntimeError, StackError } from './errors';
export { canonicalHeaderKey, toFcHttpEvent, toHttpResponse } from './http-event';
export type { FcFunctionError, OutputLine } from './instance';
export type { AttachOptions, OssEventSource, OssEventSubscription } from './oss-trigger';
export type { InvokeEvent, ListenOptions, LocalRuntime, RuntimeOptions } from './runtime';
export { formatOutputLine, startRuntime } from './runtime';
export type {
  AsyncInvokeSpec,
  FunctionSpec,
  HttpTriggerSpec,
  LoadStackOptions,
  OssTriggerSpec,
  StackSpec,
  TimerTriggerSpec,
  TriggerSpec,
  UnsupportedTriggerSpec,
} from './s-yaml';
export { LOCAL_ACCOUNT_ID, loadStack, parseStack } from './s-yaml';
export type { TimerSchedule } from './schedule';
export { nextFireTimes, parseTimerExpression } from './schedule';
export { FC3_SCHEMA_FILE, validateProps } from './schema';
export type { CredentialsProvider, InvocationResult } from './types';
