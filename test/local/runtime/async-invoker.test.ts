import { describe, expect, it } from 'vitest';
import { AsyncInvoker, type AsyncOutcome, retryDelayMs, shouldRetry } from '../../../local/runtime/async-invoker';
import type { AsyncInvokeSpec } from '../../../local/runtime/s-yaml';
import type { InvocationResult } from '../../../local/runtime/types';

const policy = (overrides: Partial<AsyncInvokeSpec> = {}): AsyncInvokeSpec => ({
  maxAsyncRetryAttempts: 3,
  maxAsyncEventAgeInSeconds: 18000,
  ...overrides,
});

function result(requestId: string, error?: string): InvocationResult {
  return {
    functionName: 'fn',
    requestId,
    payload: Buffer.from(error ? JSON.stringify({ errorMessage: error, errorType: 'Error' }) : 'ok'),
    ...(error ? { error: { errorMessage: error, errorType: 'Error' }, errorKind: 'unhandled' as const } : {}),
    durationMs: 1,
    instanceId: 'c-1',
    coldStart: false,
  };
}

/** An AsyncInvoker over a scripted invoke: each call takes the next answer ('ok', 'fail' or 'throw'). */
function setup(answers: Array<'ok' | 'fail' | 'throw'>, spec: AsyncInvokeSpec = policy(), baseDelayMs = 5) {
  const calls: string[] = [];
  const logs: string[] = [];
  const outcomes: AsyncOutcome[] = [];
  const invoker = new AsyncInvoker({
    invoke: async (_name, _event, requestId) => {
      calls.push(requestId as string);
      const answer = answers.shift() ?? 'ok';
      if (answer === 'throw') throw new Error('no instance could start');
      return result(requestId as string, answer === 'fail' ? `failure ${calls.length}` : undefined);
    },
    policyOf: () => spec,
    retryBaseDelayMs: baseDelayMs,
    retryMaxDelayMs: 60_000,
    log: (m) => logs.push(m),
    onOutcome: (o) => outcomes.push(o),
  });
  return { invoker, calls, logs, outcomes };
}

describe('retry policy', () => {
  it('doubles the delay from the base, up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 500, 5000))).toEqual([500, 1000, 2000, 4000, 5000]);
  });

  it('retries up to maxAsyncRetryAttempts and only while the event is young enough', () => {
    expect(shouldRetry(1, policy(), 0)).toBe('retry');
    expect(shouldRetry(3, policy(), 0)).toBe('retry');
    expect(shouldRetry(4, policy(), 0)).toBe('exhausted');
    expect(shouldRetry(1, policy({ maxAsyncRetryAttempts: 0 }), 0)).toBe('exhausted');
    expect(shouldRetry(1, policy({ maxAsyncEventAgeInSeconds: 1 }), 1001)).toBe('expired');
  });
});

describe('AsyncInvoker', () => {
  it('accepts at once and retries a function that fails twice, keeping the request id', async () => {
    const { invoker, calls, logs, outcomes } = setup(['fail', 'fail', 'ok']);
    const { requestId } = invoker.enqueue('fn', Buffer.from('{}'), 'oss:t');
    expect(calls).toEqual([]);
    await invoker.idle();
    expect(calls).toEqual([requestId, requestId, requestId]);
    expect(outcomes).toEqual([
      expect.objectContaining({ requestId, status: 'succeeded', attempts: 3, source: 'oss:t' }),
    ]);
    expect(logs).toEqual([
      expect.stringMatching(/failed on attempt 1: Error: failure 1; retrying in 5 ms/),
      expect.stringMatching(/attempt 2: .*retrying in 10 ms/),
    ]);
  });

  it('gives up after 1 + maxAsyncRetryAttempts attempts', async () => {
    const { invoker, calls, outcomes, logs } = setup(['fail', 'fail', 'fail', 'fail', 'ok']);
    invoker.enqueue('fn', Buffer.from('{}'), 'timer:t');
    await invoker.idle();
    expect(calls).toHaveLength(4);
    expect(outcomes[0]).toMatchObject({ status: 'failed', attempts: 4 });
    expect(outcomes[0]?.result?.error?.errorMessage).toBe('failure 4');
    expect(logs.at(-1)).toMatch(/no retries left \(maxAsyncRetryAttempts 3\), giving up/);
  });

  it('retries when no instance could run the invocation', async () => {
    const { invoker, calls, outcomes } = setup(['throw', 'ok']);
    invoker.enqueue('fn', Buffer.from('{}'), 'api');
    await invoker.idle();
    expect(calls).toHaveLength(2);
    expect(outcomes[0]?.status).toBe('succeeded');
  });

  it('drops an event that would outlive maxAsyncEventAgeInSeconds', async () => {
    const { invoker, calls, outcomes } = setup(['fail', 'ok'], policy({ maxAsyncEventAgeInSeconds: 1 }), 2000);
    invoker.enqueue('fn', Buffer.from('{}'), 'api');
    await invoker.idle();
    expect(calls).toHaveLength(1);
    expect(outcomes[0]?.status).toBe('expired');
  });

  it('reports what close() dropped and refuses new work', async () => {
    const { invoker, outcomes } = setup(['fail', 'ok'], policy(), 10_000);
    invoker.enqueue('fn', Buffer.from('{}'), 'api');
    await new Promise((r) => setTimeout(r, 20));
    expect(invoker.pending).toBe(1);
    expect(invoker.close()).toBe(1);
    await invoker.idle();
    expect(outcomes[0]).toMatchObject({ status: 'dropped', attempts: 1 });
    expect(() => invoker.enqueue('fn', Buffer.from('{}'), 'api')).toThrow(/closed/);
  });
});
