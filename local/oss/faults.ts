/**
 * Fault injection for tests: per operation name (`PutObject`, `GetObject`…, or `*` for all), the
 * probability of each failure OSS clients must survive, and added latency.
 */
export interface Fault {
  /** Probability (0..1) of 500 InternalError. */
  internalError?: number;
  /** Probability of 503 SlowDown. */
  slowDown?: number;
  /** Probability of the connection being reset without a response. */
  reset?: number;
  /** Latency added before the request is handled, in ms. */
  latencyMs?: number;
  /** Apply to this many matching requests only, then remove the fault. */
  times?: number;
}

export type FaultAction = 'none' | 'internal-error' | 'slow-down' | 'reset';

/** Picks what a fault does to one request from one uniform random number (pure). */
export function decideFault(fault: Fault, roll: number): FaultAction {
  let edge = fault.internalError ?? 0;
  if (roll < edge) return 'internal-error';
  edge += fault.slowDown ?? 0;
  if (roll < edge) return 'slow-down';
  edge += fault.reset ?? 0;
  if (roll < edge) return 'reset';
  return 'none';
}

/** Why a fault is not valid, or undefined. */
export function faultProblem(fault: Fault): string | undefined {
  for (const p of ['internalError', 'slowDown', 'reset'] as const) {
    const v = fault[p];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1))
      return `${p} must be a probability between 0 and 1`;
  }
  if (fault.latencyMs !== undefined && !(Number.isInteger(fault.latencyMs) && fault.latencyMs >= 0))
    return 'latencyMs must be a whole number of milliseconds';
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 1))
    return 'times must be a whole number of requests, at least 1';
  return undefined;
}

/** The faults currently set. */
export class FaultRegistry {
  private faults = new Map<string, Fault & { remaining?: number }>();

  constructor(private readonly random: () => number = Math.random) {}

  /** Sets (replaces) the fault for an operation name, or `*` for every operation. */
  set(op: string, fault: Fault): void {
    const problem = faultProblem(fault);
    if (problem) throw new RangeError(`fault ${problem}`);
    this.faults.set(op, { ...fault, ...(fault.times !== undefined ? { remaining: fault.times } : {}) });
  }

  /** Removes the fault of one operation name (or `*`); false when there was none. */
  delete(op: string): boolean {
    return this.faults.delete(op);
  }

  /** Removes every fault. */
  clear(): void {
    this.faults.clear();
  }

  /** The faults set, by operation name, with `remaining` requests for those limited by `times`. */
  list(): Record<string, Fault & { remaining?: number }> {
    return Object.fromEntries([...this.faults].map(([op, f]) => [op, { ...f }]));
  }

  /** What to do to the next request for `op`: latency to add and the failure, if any. */
  next(op: string): { latencyMs: number; action: FaultAction } {
    const name = this.faults.has(op) ? op : '*';
    const fault = this.faults.get(name);
    if (!fault) return { latencyMs: 0, action: 'none' };
    if (fault.remaining !== undefined) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults.delete(name);
    }
    return { latencyMs: fault.latencyMs ?? 0, action: decideFault(fault, this.random()) };
  }
}
