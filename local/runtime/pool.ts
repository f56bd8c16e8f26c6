/**
 * The instances of one function. FC 3.0 built-in runtimes serve one request per instance, so a busy
 * function scales out: an invocation takes an idle instance, or starts one while under the limit, or
 * waits its turn (FIFO). Dead instances (crash, timeout) are dropped and replaced on demand.
 */
import type { FunctionInstance, InvocationOutcome, WireContext } from './instance';
import type { FunctionSpec } from './s-yaml';

export interface PoolOptions {
  spec: FunctionSpec;
  /** Most instances alive at once. */
  maxInstances: number;
  /** Starts one instance (the runtime supplies env and output wiring). */
  startInstance: (onExit: (instance: FunctionInstance) => void) => Promise<FunctionInstance>;
}

/** What an invocation reports beyond its outcome. */
export interface PooledOutcome {
  outcome: InvocationOutcome;
  instanceId: string;
  /** Whether this invocation had to start its instance. */
  coldStart: boolean;
}

type Waiter = {
  resolve: (lease: { instance: FunctionInstance; coldStart: boolean }) => void;
  reject: (error: unknown) => void;
};

export class FunctionPool {
  private readonly instances = new Set<FunctionInstance>();
  private readonly idle: FunctionInstance[] = [];
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  get size(): number {
    return this.instances.size;
  }

  /** Starts one instance ahead of any invocation, so load errors surface at start-up. */
  async prewarm(): Promise<void> {
    if (this.instances.size > 0) return;
    const instance = await this.start();
    this.release(instance);
  }

  /** Runs one invocation on an instance of this function. Rejects only when no instance can be started. */
  async invoke(event: Buffer, context: WireContext): Promise<PooledOutcome> {
    const { instance, coldStart } = await this.acquire();
    try {
      const outcome = await instance.invoke(event, context);
      return { outcome, instanceId: instance.id, coldStart };
    } finally {
      this.release(instance);
    }
  }

  /** Stops every instance; waiting invocations are rejected with `reason`. */
  async close(reason: Error): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason);
    await Promise.all([...this.instances].map((i) => i.stop()));
    this.instances.clear();
    this.idle.length = 0;
  }

  private acquire(): Promise<{ instance: FunctionInstance; coldStart: boolean }> {
    if (this.closed) return Promise.reject(new Error('pool closed'));
    const instance = this.idle.pop();
    if (instance) return Promise.resolve({ instance, coldStart: false });
    if (this.instances.size + this.starting < this.options.maxInstances) {
      return this.start().then((started) => ({ instance: started, coldStart: true }));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async start(): Promise<FunctionInstance> {
    this.starting++;
    try {
      const instance = await this.options.startInstance((dead) => this.forget(dead));
      if (this.closed) {
        await instance.stop();
        throw new Error('pool closed');
      }
      this.instances.add(instance);
      return instance;
    } finally {
      this.starting--;
    }
  }

  private release(instance: FunctionInstance): void {
    if (!instance.alive || this.closed) {
      this.forget(instance);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ instance, coldStart: false });
    else this.idle.push(instance);
  }

  /** Drops a dead instance and, when invocations wait, starts a replacement for the first of them. */
  private forget(instance: FunctionInstance): void {
    if (!this.instances.delete(instance)) return;
    const at = this.idle.indexOf(instance);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closed || this.waiters.length === 0 || this.instances.size + this.starting >= this.options.maxInstances)
      return;
    const waiter = this.waiters.shift() as Waiter;
    this.start().then(
      (started) => waiter.resolve({ instance: started, coldStart: true }),
      (error: unknown) => waiter.reject(error),
    );
  }
}
