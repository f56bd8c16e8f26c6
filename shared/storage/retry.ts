import type { StorageError } from './errors';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay cap before the first retry, doubled each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: StorageError }) => void;
}

/**
 * "Full jitter" backoff: a uniform delay in [0, min(max, base·2^n)], which spreads the retries of many
 * concurrent functions instead of synchronising them against a throttled bucket.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

/**
 * Runs an idempotent operation, retrying throttling, 5xx and network failures with backoff. Only
 * call it for operations whose repetition is harmless; everything else fails on the first error.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  toError: (e: unknown) => StorageError,
  policy: RetryPolicy = DEFAULT_RETRY,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (raw) {
      const error = toError(raw);
      if (!error.retryable || attempt >= policy.attempts) throw error;
      const delayMs = backoffDelay(attempt - 1, policy, hooks.random);
      hooks.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
