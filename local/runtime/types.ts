import type { Credentials } from '../../shared/config';
import type { FcFunctionError } from './instance';

/** Supplies the function role's keys: called for each instance start and each invocation (STS keys expire). */
export type CredentialsProvider = () => Credentials | Promise<Credentials>;

/** The result of one synchronous invocation. Function failures are results, not exceptions. */
export interface InvocationResult {
  functionName: string;
  requestId: string;
  /** The return value converted as FC does (Buffer as-is, object → JSON, other → string); FC's error JSON on failure. */
  payload: Buffer;
  /** Set when the invocation failed. */
  error?: FcFunctionError;
  /** `unhandled`: the handler threw; `timeout`: killed at the function's timeout; `crashed`: the process died. */
  errorKind?: 'unhandled' | 'timeout' | 'crashed';
  durationMs: number;
  instanceId: string;
  /** Whether the invocation waited for a new instance to load. */
  coldStart: boolean;
}

/** Invokes a function synchronously by name with a given request id (what triggers use). */
export type Invoke = (functionName: string, event: Buffer, requestId?: string) => Promise<InvocationResult>;
