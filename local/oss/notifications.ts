import {
  buildPayload,
  type ObjectChange,
  type OssEventPayload,
  ruleIdOf,
  type Subscription,
  subscriptionMatches,
} from './events';

/** Receives one payload; throwing (or rejecting) asks for a retry, as a failed FC invocation does. */
export type Deliver = (payload: OssEventPayload) => Promise<void>;

/** Test knobs for delivery. */
export interface DeliveryOptions {
  /** Probability (0..1) that a delivered payload is delivered once more, as at-least-once allows. */
  duplicateProbability?: number;
  /** Each delivery waits a random 0..window ms first, so payloads close in time may arrive out of order. */
  reorderWindowMs?: number;
  /** Deliveries tried per payload before it is given up (and logged). Default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 5 s. Default 50 ms. */
  retryBaseMs?: number;
}

interface Subscriber {
  sub: Subscription;
  deliver: Deliver;
  ruleId: string;
  active: boolean;
}

/**
 * OSS event notifications, as an FC OSS trigger sees them: every matching subscriber gets its own
 * payload, asynchronously, at least once, retried with backoff when delivery throws.
 */
export class Notifier {
  private subscribers: Subscriber[] = [];
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private timers = new Set<NodeJS.Timeout>();
  private options: Required<DeliveryOptions> = {
    duplicateProbability: 0,
    reorderWindowMs: 0,
    maxAttempts: 8,
    retryBaseMs: 50,
  };
  private closed = false;

  constructor(
    private readonly ctx: { region: string; accountId: string; log: (line: string) => void; random?: () => number },
  ) {}

  /** Subscribes like an FC OSS trigger; returns the unsubscribe function. */
  subscribe(sub: Subscription, deliver: Deliver): () => void {
    const subscriber: Subscriber = {
      sub: { ...sub, events: [...sub.events] },
      deliver,
      ruleId: ruleIdOf(sub),
      active: true,
    };
    this.subscribers.push(subscriber);
    return () => {
      subscriber.active = false;
      this.subscribers = this.subscribers.filter((s) => s !== subscriber);
    };
  }

  /** Changes the delivery knobs (duplicates, reordering, retries). */
  configure(options: DeliveryOptions): void {
    this.options = { ...this.options, ...options };
  }

  /** Queues a change for every matching subscriber. Call only once the change is durable. */
  publish(change: ObjectChange): void {
    if (this.closed) return;
    for (const subscriber of this.subscribers) {
      if (!subscriptionMatches(subscriber.sub, change)) continue;
      const payload = buildPayload(change, {
        region: this.ctx.region,
        accountId: this.ctx.accountId,
        ruleId: subscriber.ruleId,
      });
      this.schedule(subscriber, payload, 1, this.jitter());
    }
  }

  /** Resolves once no delivery is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops everything still queued (server shutdown). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
    this.settle();
  }

  private random(): number {
    return (this.ctx.random ?? Math.random)();
  }

  private jitter(): number {
    return this.options.reorderWindowMs > 0 ? Math.floor(this.random() * this.options.reorderWindowMs) : 0;
  }

  private schedule(subscriber: Subscriber, payload: OssEventPayload, attempt: number, delayMs: number): void {
    this.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(subscriber, payload, attempt);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(subscriber: Subscriber, payload: OssEventPayload, attempt: number): Promise<void> {
    try {
      if (!subscriber.active || this.closed) return;
      try {
        // A copy per attempt: a subscriber that mutates its payload must not change a retry's.
        await subscriber.deliver(structuredClone(payload));
        if (this.random() < this.options.duplicateProbability) this.schedule(subscriber, payload, 1, this.jitter());
      } catch (error) {
        const event = payload.events[0]!;
        if (attempt >= this.options.maxAttempts) {
          this.ctx.log(
            `event ${event.eventName} ${event.oss.bucket.name}/${event.oss.object.key} dropped after ${attempt} attempts: ${String(error)}`,
          );
          return;
        }
        const delay = Math.min(5000, this.options.retryBaseMs * 2 ** (attempt - 1)) + this.jitter();
        this.schedule(subscriber, payload, attempt + 1, delay);
      }
    } finally {
      if (!this.closed) {
        this.pending--;
        this.settle();
      }
    }
  }

  private settle(): void {
    if (this.pending !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
