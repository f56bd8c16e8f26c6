/**
 * Asynchronous invocations with FC's policy: accepted at once, run in the background, and on a function
 * error (throw, timeout, crash) retried up to `asyncInvokeConfig.maxAsyncRetryAttempts` times (default 3)
 * with exponential backoff, unless the event outgrows `maxAsyncEventAgeInSeconds`. At least once: an
 * event is only forgotten after a success, its last retry, or expiry.
 */
import { describeError } from '../../shared/errors';
import { newRequestId } from './request-id';
import type { AsyncInvokeSpec } from './s-yaml';
import type { InvocationResult, Invoke } from './types';

/** How an asynchronous invocation ended. */
export interface AsyncOutcome {
  functionName: string;
  requestId: string;
  /** What queued it: `oss:<trigger>`, `timer:<trigger>`, `api`, … */
  source: string;
  status: 'succeeded' | 'failed' | 'expired' | 'dropped';
  /** Attempts made (1 = no retry). */
  attempts: number;
  /** The last attempt's result, when there was one. */
  result?: InvocationResult;
}

export interface AsyncInvokerOptions {
  invoke: Invoke;
  policyOf: (functionName: string) => AsyncInvokeSpec;
  /** Delay before the first retry; doubles for each next one (FC's throttling backoff starts at 0.5 s). */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  log: (message: string) => void;
  onOutcome?: (outcome: AsyncOutcome) => void;
}

/** Delay before retry number `retry` (1-based): base, 2×base, 4×base, … capped at `max`. */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** (retry - 1));
}

/** Whether a failed attempt (1-based) gets another one under the function's policy, given the event's age then. */
export function shouldRetry(
  attempt: number,
  policy: AsyncInvokeSpec,
  ageAtRetryMs: number,
): 'retry' | 'exhausted' | 'expired' {
  if (attempt > policy.maxAsyncRetryAttempts) return 'exhausted';
  if (ageAtRetryMs > policy.maxAsyncEventAgeInSeconds * 1000) return 'expired';
  return 'retry';
}

interface Job {
  functionName: string;
  requestId: string;
  event: Buffer;
  source: string;
  enqueuedAt: number;
  attempts: number;
  timer?: NodeJS.Timeout;
}

export class AsyncInvoker {
  private readonly jobs = new Set<Job>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: AsyncInvokerOptions) {}

  /** Invocations accepted and not yet settled (running or waiting for a retry). */
  get pending(): number {
    return this.jobs.size;
  }

  /** Accepts an invocation (like FC's 202) and runs it in the background. */
  enqueue(
    functionName: string,
    event: Buffer,
    source: string,
    requestId: string = newRequestId(),
  ): { requestId: string } {
    if (this.closed) throw new Error('the runtime is closed');
    const job: Job = { functionName, requestId, event, source, enqueuedAt: Date.now(), attempts: 0 };
    this.jobs.add(job);
    setImmediate(() => void this.attempt(job));
    return { requestId };
  }

  /** Resolves when every accepted invocation has settled. */
  idle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying and running; returns how many accepted invocations were dropped unfinished. */
  close(): number {
    this.closed = true;
    const dropped = [...this.jobs];
    for (const job of dropped) {
      clearTimeout(job.timer);
      this.settle(job, 'dropped');
    }
    return dropped.length;
  }

  private async attempt(job: Job): Promise<void> {
    if (this.closed || !this.jobs.has(job)) return;
    job.attempts++;
    let result: InvocationResult | undefined;
    let failure: string;
    try {
      result = await this.options.invoke(job.functionName, job.event, job.requestId);
      if (!result.error) return this.settle(job, 'succeeded', result);
      failure = `${result.error.errorType}: ${result.error.errorMessage}`;
    } catch (error) {
      if (this.closed) return;
      failure = describeError(error);
    }
    if (this.closed || !this.jobs.has(job)) return;
    const policy = this.options.policyOf(job.functionName);
    const delay = retryDelayMs(job.attempts, this.options.retryBaseDelayMs, this.options.retryMaxDelayMs);
    const verdict = shouldRetry(job.attempts, policy, Date.now() + delay - job.enqueuedAt);
    const where = `async invocation ${job.requestId} of ${job.functionName} (${job.source}) failed on attempt ${job.attempts}`;
    if (verdict === 'retry') {
      this.options.log(`${where}: ${failure}; retrying in ${delay} ms`);
      job.timer = setTimeout(() => void this.attempt(job), delay);
      return;
    }
    this.options.log(
      verdict === 'expired'
        ? `${where}: ${failure}; the event is older than maxAsyncEventAgeInSeconds (${policy.maxAsyncEventAgeInSeconds}s), giving up`
        : `${where}: ${failure}; no retries left (maxAsyncRetryAttempts ${policy.maxAsyncRetryAttempts}), giving up`,
    );
    this.settle(job, verdict === 'expired' ? 'expired' : 'failed', result);
  }

  private settle(job: Job, status: AsyncOutcome['status'], result?: InvocationResult): void {
    if (!this.jobs.delete(job)) return;
    this.options.onOutcome?.({
      functionName: job.functionName,
      requestId: job.requestId,
      source: job.source,
      status,
      attempts: job.attempts,
      ...(result ? { result } : {}),
    });
    if (this.jobs.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
