/** @module Local FC 3.0 runtime: reads s.yaml and runs its functions with FC's triggers and invocation semantics. */
export { retryDelayMs, shouldRetry } from './async-invoker';
export type { AsyncOutcome } from './async-invoker';
export { RuntimeError, StackError } from './errors';
export type { RuntimeErrorCode, StackProblem } from './errors';
export { canonicalHeaderKey, toFcHttpEvent, toHttpResponse } from './http-event';
export type { FcFunctionError, OutputLine } from './instance';
export type { AttachOptions, OssEventSource, OssEventSubscription } from './oss-trigger';
export { formatOutputLine, startRuntime } from './runtime';
export type { InvokeEvent, ListenOptions, LocalRuntime, RuntimeOptions } from './runtime';
export { nextFireTimes, parseTimerExpression } from './schedule';
export type { TimerSchedule } from './schedule';
export { FC3_SCHEMA_FILE, validateProps } from './schema';
export { LOCAL_ACCOUNT_ID, loadStack, parseStack } from './stack';
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
} from './stack';
export type { CredentialsProvider, InvocationResult } from './types';
